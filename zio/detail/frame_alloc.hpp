#pragma once
// Memory for task frames (the one allocation of a spawn). See frame_alloc.cpp.
#include <cstddef>

namespace zio::detail {

/// A block of at least `size` bytes, aligned as operator new aligns. Throws bad_alloc.
void* allocate_task_frame(std::size_t size);
/// Gives back a block from allocate_task_frame of the same `size`; any thread.
void free_task_frame(void* frame, std::size_t size) noexcept;

/// False in AddressSanitizer builds, where every frame is a plain allocation (so ASan sees a
/// use of a freed frame); true otherwise.
bool task_frames_recycled() noexcept;

}  // namespace zio::detail

#pragma once
// A fixed-size copy of an Asio buffer sequence, so the templated read_some/write_some of zio's
// streams can hand any sequence to one compiled implementation.
#include <boost/asio/buffer.hpp>

#include <array>
#include <cstddef>

namespace zio::detail {

template <typename Buffer>
class BufferList {
 public:
  /// Like Asio's, a read or write takes at most this many buffers of a sequence at a time; the
  /// call then transfers less than the whole sequence, which read_some/write_some may.
  static constexpr std::size_t max_buffers = 16;

  template <typename Sequence>
  explicit BufferList(const Sequence& sequence) noexcept {
    auto it = boost::asio::buffer_sequence_begin(sequence);
    const auto end = boost::asio::buffer_sequence_end(sequence);
    for (; it != end && count_ < max_buffers; ++it) {
      Buffer buffer(*it);
      if (buffer.size() == 0) continue;
      buffers_[count_++] = buffer;
      total_ += buffer.size();
    }
  }
  explicit BufferList(Buffer buffer) noexcept {
    if (buffer.size() != 0) {
      buffers_[count_++] = buffer;
      total_ = buffer.size();
    }
  }

  const Buffer* begin() const noexcept { return buffers_.data(); }
  const Buffer* end() const noexcept { return buffers_.data() + count_; }
  std::size_t count() const noexcept { return count_; }
  std::size_t total_size() const noexcept { return total_; }

 private:
  std::array<Buffer, max_buffers> buffers_{};
  std::size_t count_ = 0;
  std::size_t total_ = 0;
};

using MutableBufferList = BufferList<boost::asio::mutable_buffer>;
using ConstBufferList = BufferList<boost::asio::const_buffer>;

}  // namespace zio::detail

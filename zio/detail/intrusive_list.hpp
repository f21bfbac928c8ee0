#pragma once
#include <zio/detail/assert.hpp>

namespace zio::detail {

/// A node of an IntrusiveList; derive from it. Not copyable: its address is its identity.
struct ListHook {
  ListHook* prev = nullptr;
  ListHook* next = nullptr;
  bool linked() const noexcept { return prev != nullptr; }

  ListHook() = default;
  ListHook(const ListHook&) = delete;
  ListHook& operator=(const ListHook&) = delete;
};

/// A doubly linked list of nodes that live elsewhere (usually on a waiting fiber's stack):
/// no allocation, O(1) unlink. Not thread-safe: its owner's lock guards it.
template <typename T>
class IntrusiveList {
 public:
  IntrusiveList() noexcept { head_.prev = head_.next = &head_; }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;

  bool empty() const noexcept { return head_.next == &head_; }

  void push_back(T& node) noexcept {
    ListHook* n = &node;
    ZIO_ASSERT(!n->linked(), "node is already in a list");
    n->prev = head_.prev;
    n->next = &head_;
    head_.prev->next = n;
    head_.prev = n;
  }

  T* front() noexcept { return empty() ? nullptr : static_cast<T*>(head_.next); }

  T* pop_front() noexcept {
    if (empty()) return nullptr;
    T* n = static_cast<T*>(head_.next);
    erase(*n);
    return n;
  }

  /// Unlinks `node`; returns false when it was not linked (already taken by someone else).
  bool erase(T& node) noexcept {
    ListHook* n = &node;
    if (!n->linked()) return false;
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = nullptr;
    return true;
  }

  template <typename F>
  void for_each(F&& f) {
    for (ListHook* n = head_.next; n != &head_;) {
      ListHook* next = n->next;
      f(*static_cast<T*>(n));
      n = next;
    }
  }

 private:
  ListHook head_;
};

}  // namespace zio::detail

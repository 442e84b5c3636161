//
// herd/stream/blocking.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_STREAM_BLOCKING_HPP
#define HERD_STREAM_BLOCKING_HPP

#include <herd/config.hpp>
#include <herd/detail/running_in.hpp>
#include <herd/detail/stream_core.hpp>
#include <herd/stream/core.hpp>

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

// herd::blocking(s): a stream iterated from a plain thread (blocking_stream).
// Moved out of stream/core.hpp unchanged (issue 16: one concept per header).

namespace herd
{

/// A stream iterated from a plain thread: `for (T& x : herd::blocking(s))`.
/**
 * Each step blocks the calling thread until the next item. A producer's
 * exception is rethrown by the increment (or begin()) that reaches it.
 * Leaving the loop early stops the stream.
 *
 * @throws std::logic_error from begin() or an increment on a thread that
 * runs the stream's executor: blocking it could deadlock the producer.
 */
template <class T>
class blocking_stream
{
public:
  class iterator
  {
  public:
    using iterator_category = std::input_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using reference = T&;
    using pointer = T*;

    iterator() noexcept = default;
    T& operator*() const { return *range_->current_; }
    T* operator->() const { return &*range_->current_; }
    iterator& operator++()
    {
      range_->fetch();
      if (!range_->current_)
        range_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const noexcept { return range_ == nullptr; }

  private:
    friend class blocking_stream;
    explicit iterator(blocking_stream* r) noexcept : range_(r) {}
    blocking_stream* range_ = nullptr;
  };

  explicit blocking_stream(stream<T> s) : node_(detail::release_node(std::move(s), "herd::blocking")) {}
  blocking_stream(blocking_stream&&) noexcept = default;
  blocking_stream& operator=(blocking_stream&&) = delete;
  ~blocking_stream()
  {
    if (node_)
      node_->stop();
  }

  iterator begin()
  {
    fetch();
    return current_ ? iterator(this) : iterator();
  }
  std::default_sentinel_t end() const noexcept { return {}; }

  /// The next item, or an empty optional at the end.
  std::optional<T> next()
  {
    fetch();
    return std::move(current_);
  }

private:
  struct slot
  {
    std::mutex m;
    std::condition_variable cv;
    std::optional<detail::stream_item<T>> item;
  };

  void fetch()
  {
    current_.reset();
    if (done_)
      return;
    if (detail::running_in(node_->get_executor()))
      throw std::logic_error("herd::blocking: iterated on a thread that runs the stream's executor; it would "
                             "deadlock");
    auto s = std::make_shared<slot>();
    node_->pull(
        [s](detail::stream_item<T> item)
        {
          std::lock_guard lk(s->m);
          s->item.emplace(std::move(item));
          s->cv.notify_one();
        });
    std::unique_lock lk(s->m);
    s->cv.wait(lk, [&] { return s->item.has_value(); });
    auto& item = *s->item;
    if (item.index() == 2)
    {
      current_.emplace(std::move(std::get<2>(item)));
      return;
    }
    done_ = true;
    if (item.index() == 1)
      std::rethrow_exception(std::get<1>(item));
  }

  std::shared_ptr<detail::stream_node<T>> node_;
  std::optional<T> current_;
  bool done_ = false;
};

/// Iterates @c s from a plain thread (see blocking_stream).
template <class T>
blocking_stream<T> blocking(stream<T> s)
{
  return blocking_stream<T>(std::move(s));
}

} // namespace herd

#endif // HERD_STREAM_BLOCKING_HPP

//
// herd/map_range.hpp
// ~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_MAP_RANGE_HPP
#define HERD_MAP_RANGE_HPP

#include <herd/config.hpp>
#include <herd/detail/map_run.hpp>
#include <herd/detail/shared_state.hpp>

#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>

// herd::map_range, what async_executor::map_iter() returns: an input range of
// the items' results in input order (herd/async_executor.hpp).

namespace herd
{

/// The results of map_iter(): an input range yielding results in input order.
/**
 * Iterating blocks until the next result is ready, and throws the item's
 * exception when a failed item is reached. Destroying the range (leaving
 * the loop) cancels the items still running or queued.
 */
template <class R>
class map_range
{
public:
  class iterator
  {
  public:
    using value_type = R;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::input_iterator_tag;

    iterator() = default;
    explicit iterator(map_range* r) : r_(r) {}

    R& operator*() const { return *r_->current_; }
    R* operator->() const { return &*r_->current_; }
    iterator& operator++()
    {
      r_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return !r_ || !r_->current_; }

  private:
    map_range* r_ = nullptr;
  };

  explicit map_range(std::shared_ptr<detail::map_results<R>> d, const detail::executor_identity* owner)
      : d_(std::move(d)), owner_(owner)
  {
  }
  map_range(map_range&&) noexcept = default;
  map_range& operator=(map_range&&) = delete;
  ~map_range()
  {
    if (d_)
      d_->stop(nullptr);
  }

  /// Waits for the first result.
  iterator begin()
  {
    if (!started_)
    {
      started_ = true;
      advance();
    }
    return iterator(this);
  }
  std::default_sentinel_t end() const noexcept { return {}; }

private:
  void advance()
  {
    if (owner_ && owner_->on_own_thread())
      throw std::logic_error("herd::async_executor::map_iter: iterating on one of the executor's own threads could "
                             "deadlock");
    current_.reset();
    current_ = d_->next_result();
  }

  std::shared_ptr<detail::map_results<R>> d_;
  const detail::executor_identity* owner_;
  std::optional<R> current_;
  bool started_ = false;
};

} // namespace herd

#endif // HERD_MAP_RANGE_HPP

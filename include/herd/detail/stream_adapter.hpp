//
// herd/detail/stream_adapter.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_STREAM_ADAPTER_HPP
#define HERD_DETAIL_STREAM_ADAPTER_HPP

// What every stream operator is made of: adapter_node and unary_node (stages
// that run inside the consumer's pull) and streams::detail::op (what makes an
// operator pipeable: `s | op`).

#include <herd/config.hpp>
#include <herd/detail/stream_core.hpp>
#include <herd/stream/core.hpp>

#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace herd
{
namespace detail
{

// ---------------------------------------------------------------------------
// Pull adapters: stages that run inside the consumer's pull, on the thread
// that completes the stage below. No task and no channel of their own.

template <class Derived, class T>
class adapter_node : public stream_node<T>, public std::enable_shared_from_this<Derived>
{
public:
  using item_type = stream_item<T>;
  using callback = typename stream_node<T>::callback;

  using stream_node<T>::stream_node;

  void pull(callback cb) final
  {
    if (done_ || stopped_.load(std::memory_order_acquire))
    {
      done_ = true;
      this->post_item(std::move(cb), end_item<T>());
      return;
    }
    cb_ = std::move(cb);
    static_cast<Derived*>(this)->on_pull();
  }

protected:
  // Hands the pending pull its item; the end and failures end the stage.
  void deliver(item_type item)
  {
    if (item.index() != 2)
      done_ = true;
    cb_(std::move(item));
  }

  // The item for a user function that threw: the stage's sources stop.
  void fail(std::exception_ptr e)
  {
    static_cast<Derived*>(this)->stop_sources();
    deliver(error_item<T>(std::move(e)));
  }

  template <class U>
  auto relay() // the callback a stage passes to its source
  {
    return [self = this->shared_from_this()](stream_item<U> item) mutable
    { static_cast<Derived&>(*self).on_item(std::move(item)); };
  }

  bool stopped() const noexcept { return stopped_.load(std::memory_order_acquire); }
  void mark_stopped() noexcept { stopped_.store(true, std::memory_order_release); }

  callback cb_;
  bool done_ = false; // consumer side; pulls are sequential

private:
  std::atomic<bool> stopped_{false};
};

// An adapter over one source of type U.
template <class Derived, class T, class U>
class unary_node : public adapter_node<Derived, T>
{
public:
  explicit unary_node(node_ptr<U> src) : adapter_node<Derived, T>(src->get_executor()), src_(std::move(src)) {}

  void stop() noexcept override
  {
    this->mark_stopped();
    src_->stop();
  }
  void stop_sources() noexcept { src_->stop(); }
  void on_pull() { pull_source(); }

protected:
  void pull_source() { src_->pull(this->template relay<U>()); }

  // Passes the end and failures through; true when item holds a value.
  bool pass_through(stream_item<U>& item)
  {
    if (item.index() == 0)
    {
      this->deliver(end_item<T>());
      return false;
    }
    if (item.index() == 1)
    {
      this->deliver(error_item<T>(std::get<1>(std::move(item))));
      return false;
    }
    return true;
  }

  node_ptr<U> src_;
};

} // namespace detail

namespace streams
{

namespace detail
{
template <class Make>
struct op : pipeable
{
  Make make;
  template <class T>
  auto operator()(stream<T>&& s) const&
  {
    return make(std::move(s));
  }
  template <class T>
  auto operator()(stream<T>&& s) &&
  {
    return std::move(make)(std::move(s));
  }
};
template <class Make>
op<Make> make_op(Make m)
{
  return op<Make>{{}, std::move(m)};
}
} // namespace detail

} // namespace streams
} // namespace herd

#endif // HERD_DETAIL_STREAM_ADAPTER_HPP

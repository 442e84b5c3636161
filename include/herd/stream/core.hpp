//
// herd/stream/core.hpp
// ~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_STREAM_CORE_HPP
#define HERD_STREAM_CORE_HPP

// herd::stream<T>, its producer handle stream_sink<T> and `stream | op`: what
// every source, operator and sink builds on (blocking_stream is in
// stream/blocking.hpp). Include <herd/stream.hpp> for all of them.

#include <herd/config.hpp>
#include <herd/detail/async_base.hpp>
#include <herd/detail/running_in.hpp>
#include <herd/detail/stream_core.hpp>
#include <herd/error.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace herd
{

template <class T>
class stream;

/// How many items a source's channel holds before its producer waits, unless
/// the source is given a capacity.
inline constexpr std::size_t default_stream_capacity = 64;

namespace detail
{

struct stream_access
{
  template <class T>
  static std::shared_ptr<stream_node<T>> release(stream<T>&& s) noexcept
  {
    return std::move(s.node_);
  }
};

template <class T>
std::shared_ptr<stream_node<T>> release_node(stream<T>&& s, const char* who)
{
  auto node = stream_access::release(std::move(s));
  if (!node)
    throw std::invalid_argument(std::string(who) + ": the stream is empty (moved from or default-constructed)");
  return node;
}

// One async_next: the first item (or the end, or a failure) completes it. A
// cancellation stops the stream and completes it with cancelled_error. On
// async_base: the handler is posted to its associated executor (never run
// inside async_next, even when an item is ready), with its allocator.
template <class T, class Handler>
class next_op : public async_base<Handler>, public std::enable_shared_from_this<next_op<T, Handler>>
{
public:
  next_op(Handler&& h, std::shared_ptr<stream_node<T>> node)
      : async_base<Handler>(std::move(h), node->get_executor()), node_(std::move(node))
  {
  }

  void start()
  {
    this->install_cancellation([self = this->shared_from_this()](net::cancellation_type) { self->on_cancel(); });
    node_->pull([self = this->shared_from_this()](stream_item<T> item) mutable { self->on_item(std::move(item)); });
  }

private:
  void on_item(stream_item<T> item)
  {
    if (claimed_.exchange(true, std::memory_order_acq_rel))
      return; // cancelled meanwhile: the stream is stopped, the item is dropped
    finish(std::move(item));
  }

  void on_cancel()
  {
    if (claimed_.exchange(true, std::memory_order_acq_rel))
      return;
    node_->stop();
    finish(error_item<T>(std::make_exception_ptr(
        cancelled_error("herd::stream::async_next: the wait was cancelled; the stream is stopped"))));
  }

  // The posted completion keeps the op alive (finish may run inside the
  // node's pull callback) and releases it, and the consumer's claim on the
  // node, before the handler runs, so the handler may call async_next again.
  void finish(stream_item<T> item)
  {
    this->complete_by(
        [self = this->shared_from_this(), item = std::move(item)](Handler& h) mutable
        {
          std::shared_ptr<stream_node<T>> node = std::move(self->node_);
          self.reset();
          node->consumer_busy_.store(false, std::memory_order_release);
          node.reset();
          switch (item.index())
          {
          case 2:
            std::move(h)(std::exception_ptr(), std::optional<T>(std::in_place, std::move(std::get<2>(item))));
            break;
          case 1:
            std::move(h)(std::get<1>(std::move(item)), std::optional<T>());
            break;
          default:
            std::move(h)(std::exception_ptr(), std::optional<T>());
            break;
          }
        });
  }

  std::shared_ptr<stream_node<T>> node_;
  std::atomic<bool> claimed_{false};
};

} // namespace detail

/// A move-only asynchronous sequence of @c T with backpressure.
/**
 * A stream is fed by a producer task through an Asio experimental channel
 * (a source: streams::from_range, streams::generate, streams::from_channel)
 * and transformed by operators (herd/stream/operators.hpp) composed with
 * `|`. The consumer pulls one item at a time with async_next; a producer
 * runs ahead of the consumer by at most its channel's capacity.
 *
 * @par End and failure
 * async_next completes with an empty `std::optional` at the end. The end is
 * not a value: a `stream<std::optional<int>>` delivers its empty optionals
 * as `std::optional<std::optional<int>>` holding one. A producer's exception
 * is delivered after every item it pushed before failing; then the stream is
 * at its end.
 *
 * @par Stopping
 * Destroying the stream, calling stop(), or cancelling an async_next (any
 * cancellation type: a stream cannot take an item back) stops it: producers
 * are cancelled (a generate body's pending operation completes with
 * operation_aborted, its pushes with errc::stream_closed), upstream stages
 * are stopped, and no task is left behind. After that async_next completes
 * with the end.
 *
 * @par Where code runs
 * A stream's stages (map and filter functions, sinks' callbacks) run on the
 * executor of its source; async_next's handler runs on its associated
 * executor (the stream's executor when it has none).
 *
 * @par Thread Safety
 * One async_next at a time (a second one while the first is pending throws
 * std::logic_error). stop() is safe from any thread.
 */
template <class T>
class stream
{
public:
  using value_type = T;
  using executor_type = net::any_io_executor;
  /// Completion signature of async_next.
  using next_signature = void(std::exception_ptr, std::optional<T>);

  /// An empty stream: valid() is false.
  stream() noexcept = default;

  /// Wraps a stage (herd's sources and operators make them).
  explicit stream(std::shared_ptr<detail::stream_node<T>> node) noexcept : node_(std::move(node)) {}

  stream(stream&& o) noexcept = default;
  stream& operator=(stream&& o) noexcept
  {
    if (this != &o)
    {
      stop();
      node_ = std::move(o.node_);
    }
    return *this;
  }
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  /// Stops the stream (see the class comment).
  ~stream() { stop(); }

  bool valid() const noexcept { return node_ != nullptr; }
  explicit operator bool() const noexcept { return valid(); }

  executor_type get_executor() const
  {
    check("get_executor");
    return node_->get_executor();
  }

private:
  template <class CompletionToken>
  auto initiate_next(CompletionToken&& token)
  {
    return net::async_initiate<CompletionToken, next_signature>(
        detail::initiation_on(node_->get_executor(), [](auto handler, std::shared_ptr<detail::stream_node<T>> node)
        {
          if (node->consumer_busy_.exchange(true, std::memory_order_acq_rel))
            throw std::logic_error("herd::stream::async_next: another async_next is pending on this stream");
          using H = decltype(handler);
          std::shared_ptr<detail::next_op<T, H>> op;
          try
          {
            op = detail::allocate_shared_op<detail::next_op<T, H>>(std::move(handler), node);
          }
          catch (...)
          {
            node->consumer_busy_.store(false, std::memory_order_release);
            throw;
          }
          op->start();
        }),
        token, node_);
  }

public:
  /// Waits for the next item.
  /**
   * @param token Completion token with signature
   * `void(std::exception_ptr, std::optional<T>)`: the item, or an empty
   * optional at the end, or the producer's exception (cancelled_error when
   * this wait was cancelled).
   * @throws std::logic_error if another async_next is pending;
   * std::invalid_argument if the stream is empty.
   *
   * With `net::use_awaitable` this is next(), which takes a ready item
   * without a post.
   *
   * @par Per-Operation Cancellation
   * Terminal, partial and total cancellation withdraw the wait and stop the
   * stream (a stream whose consumer has left has no further use): the
   * handler completes with `herd::cancelled_error`.
   */
  template <class CompletionToken = net::default_completion_token_t<executor_type>>
  auto async_next(CompletionToken&& token = CompletionToken())
  {
    check("async_next");
    // use_awaitable gets next(): the same awaitable, without a post when an
    // item is ready.
    if constexpr (std::is_same_v<std::decay_t<CompletionToken>, net::use_awaitable_t<>>)
      return next();
    else
      return initiate_next(std::forward<CompletionToken>(token));
  }

  /// The next item, for coroutines: `while (auto v = co_await s.next())`.
  /**
   * What `async_next(net::use_awaitable)` returns: an item already waiting
   * in the stream's channel is taken without suspending the coroutine (no
   * post); otherwise it waits as async_next does.
   */
  net::awaitable<std::optional<T>> next()
  {
    check("next");
    if (!node_->consumer_busy_.load(std::memory_order_acquire))
    {
      detail::stream_item<T> item;
      if (node_->try_pull(item))
      {
        if (item.index() == 2)
          co_return std::optional<T>(std::in_place, std::move(std::get<2>(item)));
        if (item.index() == 1)
          std::rethrow_exception(std::get<1>(item));
        co_return std::optional<T>();
      }
    }
    co_return co_await initiate_next(net::use_awaitable);
  }

  /// Stops the stream now; later async_nexts complete with the end.
  void stop() noexcept
  {
    if (node_)
      node_->stop();
  }

private:
  friend struct detail::stream_access;

  void check(const char* what) const
  {
    if (!node_)
      throw_empty(what);
  }
  [[noreturn]] static void throw_empty(const char* what)
  {
    throw std::invalid_argument(std::string("herd::stream::") + what +
                                ": the stream is empty (moved from or default-constructed)");
  }

  std::shared_ptr<detail::stream_node<T>> node_;
};

/// A producer's handle on its stream (what streams::generate's body gets).
/**
 * async_push waits while the stream's channel is full; it completes with
 * errc::stream_closed once the consumer has stopped the stream (then the
 * producer should return). try_push never waits.
 *
 * @par Thread Safety
 * Safe to push from several coroutines at once; a push issued outside the
 * generate body is not cancelled when the stream stops, but it still
 * completes (with errc::stream_closed).
 */
template <class T>
class stream_sink
{
public:
  using value_type = T;
  using executor_type = net::any_io_executor;

  explicit stream_sink(std::shared_ptr<detail::channel_node<T>> node) noexcept : node_(std::move(node)) {}

  executor_type get_executor() const noexcept { return node_->get_executor(); }

  /// Pushes one value; completion signature `void(boost::system::error_code)`.
  /**
   * Completes when the channel has taken the value (at once, through the
   * handler's executor, when it has room), with errc::stream_closed once
   * the stream is stopped, or with net::error::operation_aborted when
   * cancelled. The handler runs on its associated executor (default: the
   * stream's), never inside this call; the operation's state is allocated
   * with the handler's associated allocator.
   *
   * With net::use_awaitable this is push(v) (see there): the channel's own
   * send, which resumes the coroutine without a post when there is room.
   *
   * @par Per-Operation Cancellation
   * Terminal, partial and total: each withdraws the push (the value is not
   * delivered) and completes it with net::error::operation_aborted. A push
   * the channel has already taken completes with success.
   */
  template <class U = T, class CompletionToken = net::default_completion_token_t<executor_type>>
  auto async_push(U&& value, CompletionToken&& token = CompletionToken())
  {
    // use_awaitable gets push(): the same awaitable, without a post when
    // there is room.
    if constexpr (std::is_same_v<std::decay_t<CompletionToken>, net::use_awaitable_t<>>)
      return push(T(std::forward<U>(value)));
    else
      return node_->async_push_op(detail::stream_item<T>(std::in_place_index<2>, std::forward<U>(value)),
                                  std::forward<CompletionToken>(token));
  }

  /// Pushes one value, for a generate body: `co_await out.push(v)`.
  /**
   * What `async_push(v, net::use_awaitable)` returns: a push that finds
   * room in the channel completes without suspending the coroutine (no
   * post).
   * @throws boost::system::system_error with errc::stream_closed once the
   * stream is stopped, with net::error::operation_aborted when the
   * coroutine is cancelled while the push waits.
   *
   * @par Per-Operation Cancellation
   * The coroutine's cancellation (terminal, partial or total) withdraws a
   * push that waits; the value is not delivered.
   */
  net::awaitable<void> push(T value)
  {
    detail::stream_item<T> item(std::in_place_index<2>, std::move(value));
    if (node_->try_push(item))
      co_return;
    if (node_->stopped())
      throw boost::system::system_error(make_error_code(errc::stream_closed), "herd::stream_sink::push");
    co_await node_->async_push(std::move(item), net::use_awaitable);
  }

  /// Pushes if there is room now; false when full or stopped (@c value is then untouched).
  bool try_push(T& value)
  {
    detail::stream_item<T> item(std::in_place_index<2>, std::move(value));
    if (node_->try_push(item))
      return true;
    value = std::move(std::get<2>(item));
    return false;
  }

  /// True once the consumer has stopped the stream.
  bool stopped() const noexcept { return node_->stopped(); }

private:
  std::shared_ptr<detail::channel_node<T>> node_;
};

namespace streams
{
/// What operators derive from so that `stream | op` finds them.
struct pipeable
{
};
} // namespace streams

/// `s | op` is `op(std::move(s))`.
template <class T, class Op>
  requires std::is_base_of_v<streams::pipeable, std::decay_t<Op>>
auto operator|(stream<T>&& s, Op&& op)
{
  return std::forward<Op>(op)(std::move(s));
}

} // namespace herd

#endif // HERD_STREAM_CORE_HPP

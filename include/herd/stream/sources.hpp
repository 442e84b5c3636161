//
// herd/stream/sources.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_STREAM_SOURCES_HPP
#define HERD_STREAM_SOURCES_HPP

#include <herd/config.hpp>
#include <herd/detail/stream_core.hpp>
#include <herd/detail/stream_producer.hpp>
#include <herd/stream/core.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/experimental/channel_error.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <cstddef>
#include <memory>
#include <iterator>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace herd
{
namespace detail
{

inline void check_source_executor(const net::any_io_executor& ex, const char* who)
{
  if (!ex)
    throw std::invalid_argument(std::string(who) + ": ex must not be empty");
}

template <class R>
struct range_value
{
  using type = std::iter_value_t<decltype(std::begin(std::declval<R&>()))>;
};

template <class Channel>
struct channel_value;

template <class Executor, class Traits, class T>
struct channel_value<net::experimental::basic_channel<Executor, Traits, void(boost::system::error_code, T)>>
{
  using type = T;
};

template <class Executor, class Traits, class T>
struct channel_value<net::experimental::basic_concurrent_channel<Executor, Traits, void(boost::system::error_code, T)>>
{
  using type = T;
};

} // namespace detail

namespace streams
{

/// A stream of the elements of @c range, pushed by a producer task on @c ex.
/**
 * The range is moved (or copied, for an lvalue) into the stream; pass a view
 * to avoid the copy, and keep what it refers to alive while the stream runs.
 * The producer pushes without waiting while the channel has room (up to
 * @c capacity items ahead of the consumer).
 *
 * @throws std::invalid_argument if ex is empty.
 */
template <class Range>
  requires requires(std::decay_t<Range>& r) {
    std::begin(r);
    std::end(r);
  }
auto from_range(net::any_io_executor ex, Range&& range, std::size_t capacity = default_stream_capacity)
{
  // (std::begin, not std::ranges: clang 14 cannot check libstdc++ 12's range concepts.)
  using T = typename herd::detail::range_value<std::decay_t<Range>>::type;
  herd::detail::check_source_executor(ex, "herd::streams::from_range");
  auto node = std::make_shared<herd::detail::channel_node<T>>(ex, capacity);
  herd::detail::start_producer<T>(
      node,
      [r = std::decay_t<Range>(std::forward<Range>(range))](
          std::shared_ptr<herd::detail::channel_node<T>> node) mutable -> net::awaitable<void>
      {
        for (auto&& v : r)
        {
          herd::detail::stream_item<T> item(std::in_place_index<2>, std::forward<decltype(v)>(v));
          if (node->try_push(item))
            continue;
          if (node->stopped())
            co_return;
          co_await node->async_push(std::move(item), net::use_awaitable);
        }
      });
  return stream<T>(std::move(node));
}

/// A stream fed by the coroutine `f(stream_sink<T>&)` on @c ex.
/**
 * The stream ends when f returns; an exception from f is delivered after
 * the items pushed before it. When the consumer stops the stream, f is
 * cancelled (its pending operation completes with operation_aborted; a
 * push completes with errc::stream_closed) and what it throws then is
 * dropped.
 *
 * @code
 * auto s = herd::streams::generate<int>(ex, [](herd::stream_sink<int>& out) -> net::awaitable<void> {
 *   for (int i = 0; i < 10; ++i)
 *     co_await out.async_push(i, net::use_awaitable);
 * });
 * @endcode
 * @throws std::invalid_argument if ex is empty.
 */
template <class T, class F>
stream<T> generate(net::any_io_executor ex, F f, std::size_t capacity = default_stream_capacity)
{
  static_assert(std::is_invocable_r_v<net::awaitable<void>, F&, stream_sink<T>&>,
                "herd::streams::generate: f must be callable as f(herd::stream_sink<T>&) -> net::awaitable<void>");
  herd::detail::check_source_executor(ex, "herd::streams::generate");
  auto node = std::make_shared<herd::detail::channel_node<T>>(ex, capacity);
  herd::detail::start_producer<T>(node,
                                  [f = std::move(f)](std::shared_ptr<herd::detail::channel_node<T>> node) mutable
                                  -> net::awaitable<void>
                                  {
                                    stream_sink<T> sink(std::move(node));
                                    co_await f(sink);
                                  });
  return stream<T>(std::move(node));
}

/// A stream of the values received from an Asio experimental channel with
/// signature `void(boost::system::error_code, T)`.
/**
 * The stream ends when the channel is closed or a message carries
 * `net::error::eof` or `channel_errors::channel_closed`; another error code
 * fails the stream with `boost::system::system_error`. The channel must
 * outlive the stream's producer, which runs until the stream's executor has
 * run the cancellation of its pending receive: after the stream is
 * destroyed or stopped, run the executor once more (poll() will do) before
 * destroying the channel.
 *
 * @note Boost 1.81's `close()` drops messages still buffered in the channel
 * (asio #1236): to end without losing any, send
 * `(net::error::eof, T{})` as the last message instead of closing. When the
 * stream is stopped while it waits for a message, that receive is cancelled;
 * in Boost 1.81 a buffered channel then works unbuffered until a receive
 * waits again (asio #1241), losing nothing.
 */
template <class Channel>
auto from_channel(Channel& ch, std::size_t capacity = default_stream_capacity)
{
  using T = typename herd::detail::channel_value<std::decay_t<Channel>>::type;
  auto node = std::make_shared<herd::detail::channel_node<T>>(ch.get_executor(), capacity);
  herd::detail::start_producer<T>(
      node,
      [&ch](std::shared_ptr<herd::detail::channel_node<T>> node) -> net::awaitable<void>
      {
        for (;;)
        {
          auto [ec, v] = co_await ch.async_receive(net::as_tuple(net::use_awaitable));
          if (ec == net::experimental::error::channel_closed || ec == net::error::eof)
            co_return;
          if (ec)
            throw boost::system::system_error(ec, "herd::streams::from_channel");
          herd::detail::stream_item<T> item(std::in_place_index<2>, std::move(v));
          if (!node->try_push(item))
            co_await node->async_push(std::move(item), net::use_awaitable);
        }
      });
  return stream<T>(std::move(node));
}

} // namespace streams
} // namespace herd

#endif // HERD_STREAM_SOURCES_HPP

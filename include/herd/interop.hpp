//
// herd/interop.hpp
// ~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_INTEROP_HPP
#define HERD_INTEROP_HPP

#include <herd/async_executor.hpp>
#include <herd/config.hpp>
#include <herd/future.hpp>
#include <herd/detail/running_in.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <algorithm>
#include <stdexcept>
#include <thread>

namespace herd {

/// Runs a coroutine on @c ex and blocks the calling thread for its result.
/**
 * The bridge from plain threads into asynchronous code (Python's
 * `asyncio.run_coroutine_threadsafe(...).result()`).
 *
 * @returns The coroutine's value; rethrows its exception.
 * @throws std::logic_error if the calling thread runs @c ex's handlers:
 * blocking it could deadlock the coroutine it waits for.
 */
template <class T>
T run_sync(const net::any_io_executor& ex, net::awaitable<T> aw)
{
  if (!ex)
    throw std::invalid_argument("herd::run_sync: ex must not be empty");
  if (detail::running_in(ex))
    throw std::logic_error("herd::run_sync: called on a thread that runs the executor's handlers; it would "
                           "deadlock");
  promise<T> p;
  future<T> f = p.get_future();
  // A promise, not use_future: T need not be default-constructible.
  net::co_spawn(
      ex,
      [](net::awaitable<T> aw, promise<T> p) -> net::awaitable<void>
      {
        try
        {
          if constexpr (std::is_void_v<T>)
          {
            co_await std::move(aw);
            p.set_value();
          }
          else
          {
            p.set_value(co_await std::move(aw));
          }
        }
        catch (...)
        {
          p.set_exception(std::current_exception());
        }
        co_await net::this_coro::throw_if_cancelled(false); // see herd/task_group.hpp
      }(std::move(aw), std::move(p)),
      net::detached);
  if constexpr (std::is_void_v<T>)
    f.get();
  else
    return T(f.get());
}

/// The number of threads of to_thread()'s blocking pool.
inline std::size_t to_thread_limit() noexcept
{
  return std::max<std::size_t>(4, 2 * std::thread::hardware_concurrency());
}

namespace detail {

inline async_executor& blocking_pool()
{
  static async_executor pool(to_thread_limit());
  return pool;
}

} // namespace detail

/// Runs blocking code on a separate pool and resumes on the caller's executor.
/**
 * `co_await herd::to_thread(f, net::use_awaitable)` (Python's
 * `asyncio.to_thread`): @c f runs on herd's blocking pool, a fixed pool of
 * to_thread_limit() threads apart from every executor; calls beyond its
 * bound queue, they never start threads. The handler then runs on its
 * associated executor (the coroutine's).
 *
 * @par Completion Signature
 * @code void(std::exception_ptr, herd::submit_value_t<R>) @endcode as
 * async_executor::async_submit.
 *
 * @par Per-Operation Cancellation
 * Before @c f starts, it never runs (herd::cancelled_error); once it runs it
 * is not interrupted.
 */
template <class F, class CompletionToken = net::deferred_t>
auto to_thread(F&& f, CompletionToken&& token = CompletionToken())
{
  return detail::blocking_pool().async_submit(std::forward<F>(f), std::forward<CompletionToken>(token));
}

} // namespace herd

#endif // HERD_INTEROP_HPP

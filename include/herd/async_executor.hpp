//
// herd/async_executor.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_ASYNC_EXECUTOR_HPP
#define HERD_ASYNC_EXECUTOR_HPP

#include <herd/config.hpp>
#include <herd/detail/executor_impl.hpp>
#include <herd/detail/submit_op.hpp>
#include <herd/detail/task.hpp>
#include <herd/future.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <algorithm>
#include <memory>
#include <thread>

namespace herd {

/// The default number of threads: the hardware concurrency, at least 1.
inline std::size_t default_thread_count() noexcept
{
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

/// Runs tasks on a thread pool it owns, or on an executor it adopts.
/**
 * Every task handed to submit() or async_submit() is accepted exactly once
 * and ends exactly once: completed, failed or cancelled. None is dropped,
 * not even at shutdown: shutdown(cancel_futures = true) cancels the queued
 * ones (their futures fail with `herd::shutdown_error` and state
 * `cancelled`), it does not forget them.
 *
 * @par Owned pool or adopted executor
 * `async_executor(n)` starts n threads running an `io_context` that it owns.
 * `async_executor(ex)` runs tasks on an existing executor, for example a
 * server's `io_context`, without starting threads; the context must keep
 * running until the tasks have finished (shutdown(true) waits for them).
 *
 * @par Deadlock detection
 * A blocking wait (`future::get`, `wait`, `exception`) on one of the
 * executor's own threads for one of its tasks throws `std::logic_error`
 * when the wait could deadlock: the task has not started, or it is a
 * coroutine (it needs a pool thread to resume), or the pool has one thread.
 * Threads of an owned pool are always recognised; on an adopted executor,
 * herd recognises the threads while they run one of its tasks.
 *
 * @par Thread Safety
 * @e Distinct @e objects: Safe.@n
 * @e Shared @e objects: Safe, except that the destructor must not run
 * concurrently with other calls.
 */
class async_executor
{
public:
  /// The executor tasks run on.
  using executor_type = net::any_io_executor;

  /// Starts a pool of @c threads threads.
  /**
   * @throws std::invalid_argument if @c threads is 0.
   */
  explicit async_executor(std::size_t threads = default_thread_count())
    : impl_(std::make_unique<detail::executor_impl>(threads))
  {
  }

  /// Runs tasks on @c ex (for example an io_context's executor).
  /**
   * @throws std::invalid_argument if @c ex is empty.
   */
  explicit async_executor(net::any_io_executor ex) : impl_(std::make_unique<detail::executor_impl>(std::move(ex))) {}

  async_executor(const async_executor&) = delete;
  async_executor& operator=(const async_executor&) = delete;

  /// Calls shutdown(true): waits for every accepted task to end.
  ~async_executor() = default;

  /// The executor tasks run on; usable directly with Asio.
  executor_type get_executor() const { return impl_->executor(); }

  /// The number of threads of an owned pool; 0 for an adopted executor.
  std::size_t thread_count() const noexcept { return impl_->thread_count(); }

  /// Runs `f(args...)` on the executor and returns a future of its result.
  /**
   * @param f A callable, copied or moved into the task together with
   * @c args. Three kinds are accepted:
   * @li a plain callable: `f(args...)` runs on a pool thread;
   * @li a callable whose first parameter is `std::stop_token`: it receives a
   * token that future::cancel() and shutdown(…, true) trigger;
   * @li a callable returning `net::awaitable<R>`: the coroutine runs on a
   * strand of the executor; cancellation reaches it as Asio terminal
   * cancellation of the operation it awaits.
   *
   * @returns A `future<R>`. The callable (and its copies of @c args) is
   * destroyed before the future is settled.
   *
   * @throws herd::shutdown_error after shutdown() was called.
   */
  template <class F, class... Args>
  auto submit(F&& f, Args&&... args)
  {
    using traits = detail::task_traits<F, Args...>;
    static_assert(traits::invocable, "herd::async_executor::submit: f is not callable with args (nor with a "
                                     "std::stop_token followed by args)");
    using R = typename traits::result_type;
    using Fn = std::tuple<std::decay_t<F>, std::decay_t<Args>...>;
    using task_type = std::conditional_t<traits::coroutine, detail::coro_task<R, traits::takes_stop_token, Fn>,
                                         detail::plain_task<R, traits::takes_stop_token, Fn>>;
    detail::executor_impl* impl = impl_.get();
    impl->accept();
    try
    {
      auto t = std::make_shared<task_type>(impl, Fn(std::forward<F>(f), std::forward<Args>(args)...));
      std::shared_ptr<detail::shared_state<R>> s = t;
      if (impl->owned())
        impl->enqueue(std::move(t));
      else
        impl->post(detail::task_runner<task_type>{std::move(t)});
      impl->end_accept();
      return future<R>(std::move(s));
    }
    catch (...)
    {
      impl->end_accept();
      impl->release();
      throw;
    }
  }

  /// Runs `f()` on the executor and completes @c token with its result.
  /**
   * The path for Asio code that needs no future: one allocation from the
   * handler's associated allocator, no shared state.
   *
   * @param f A plain callable taking no arguments.
   * @param token The completion token (default `net::deferred`; in a
   * coroutine pass `net::use_awaitable`, see future::async_wait on the
   * Boost 1.81 defect).
   *
   * @par Completion Signature
   * @code void(std::exception_ptr, herd::submit_value_t<R>) @endcode
   * (`void(std::exception_ptr)` when f returns void).
   *
   * The handler runs on its associated executor (never inside this call).
   *
   * @par Per-Operation Cancellation
   * Terminal, partial and total cancellation before f has started mean f
   * never runs: the handler completes at once with `herd::cancelled_error`.
   * Once f runs it is not interrupted.
   *
   * @throws herd::shutdown_error after shutdown() was called.
   */
  template <class F, class CompletionToken = net::deferred_t>
  auto async_submit(F&& f, CompletionToken&& token = CompletionToken())
  {
    static_assert(std::is_invocable_v<std::decay_t<F>>, "herd::async_executor::async_submit: f must be callable "
                                                        "with no arguments");
    using R = std::invoke_result_t<std::decay_t<F>>;
    static_assert(!detail::awaitable_traits<R>::value,
                  "herd::async_executor::async_submit runs plain callables; co_spawn coroutines directly");
    return net::async_initiate<CompletionToken, typename detail::submit_signature<R>::type>(
        detail::initiate_submit(), token, impl_.get(), static_cast<R*>(nullptr), std::forward<F>(f));
  }

  /// Stops accepting tasks; optionally waits, optionally cancels.
  /**
   * Idempotent; later calls can add waiting or cancellation. Afterwards
   * submit() throws `herd::shutdown_error`.
   *
   * @param wait Block until every accepted task has ended (and, for an
   * owned pool, its threads have finished the handlers still queued).
   * @param cancel_futures Cancel every task that has not started: it never
   * runs, its future fails with `herd::shutdown_error` and ends in state
   * `cancelled` (queued tasks are settled as the pool reaches them, without
   * running them). Running tasks that can observe cancellation (stop_token
   * or coroutine) are asked to stop.
   *
   * @throws std::logic_error if @c wait is true and the caller is one of
   * the executor's own tasks (it would wait for itself).
   */
  void shutdown(bool wait = true, bool cancel_futures = false) { impl_->shutdown(wait, cancel_futures); }

  /// Counts of submitted, queued, running, completed, failed and cancelled tasks.
  executor_stats stats() const noexcept { return impl_->stats(); }

private:
  std::unique_ptr<detail::executor_impl> impl_;
};

} // namespace herd

#endif // HERD_ASYNC_EXECUTOR_HPP

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

#include <herd/clock.hpp>
#include <herd/config.hpp>
#include <herd/detail/executor_impl.hpp>
#include <herd/detail/managed_task.hpp>
#include <herd/detail/map_driver.hpp>
#include <herd/detail/map_workers.hpp>
#include <herd/detail/map_op.hpp>
#include <herd/detail/submit_op.hpp>
#include <herd/detail/task.hpp>
#include <herd/executor_stats.hpp>
#include <herd/future.hpp>
#include <herd/progress.hpp>
#include <herd/retry.hpp>
#include <herd/sync/semaphore.hpp>
#include <herd/map_range.hpp>
#include <herd/executor_options.hpp>

#include <algorithm>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <concepts>
#include <memory>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <thread>

namespace herd
{

namespace detail
{

// The user's callable, shared by every item of a map.
template <class F>
struct shared_fn
{
  std::shared_ptr<F> f_;

  template <class... A>
  requires std::invocable<F&, A...> std::invoke_result_t<F&, A...>
  operator()(A&&... a) const { return std::invoke(*f_, std::forward<A>(a)...); }
};

template <class F, class... Ranges>
using map_traits = task_traits<F, map_element_t<Ranges>&...>;

} // namespace detail

struct wait_options; // <herd/wait.hpp>

namespace detail
{

// async_executor::wait and as_completed forward to herd::wait and
// herd::as_completed, which live a layer above (<herd/wait.hpp> defines
// this, so this header does not include that one).
template <class R>
struct executor_waits;

template <class R>
inline constexpr bool executor_waits_included = requires { executor_waits<R>::included; };

} // namespace detail

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

  /// Starts a pool of @c threads threads whose timed features run on @c c.
  /**
   * Installs @c c (see herd::use_clock) on the pool, so that timeouts,
   * retries and every herd primitive built on get_executor() read @c c:
   * with a herd::testing::manual_clock, timed behaviour runs in virtual
   * time. @c c must outlive the executor.
   *
   * @throws std::invalid_argument if @c threads is 0.
   */
  async_executor(std::size_t threads, herd::clock& c) : impl_(std::make_unique<detail::executor_impl>(threads))
  {
    use_clock(net::query(impl_->executor(), net::execution::context), c);
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

  /// get_executor(), implicitly: every herd call that takes an executor
  /// also takes the async_executor itself.
  /**
   * `herd::semaphore sem(ex, 4)`, `herd::make_worker<T>(ex)`,
   * `herd::run_sync(ex, aw)`, `herd::streams::generate<T>(ex, f)` and the
   * rest (each parameter of type `net::any_io_executor`) accept
   * `herd::async_executor& ex`, as `net::post` accepts an execution context
   * as well as an executor. The executor refers to this pool, which must
   * outlive what uses it, exactly as with get_executor(). A function
   * template that deduces its executor type (`net::post`, `net::co_spawn`)
   * still wants `ex.get_executor()`.
   */
  operator executor_type() const { return get_executor(); }

  /// The clock of the executor's context (herd::clock_of(get_executor())).
  herd::clock& get_clock() const { return clock_of(impl_->executor()); }

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
  requires(!std::same_as<std::remove_cvref_t<F>, submit_options>) auto submit(F&& f, Args&&... args)
  {
    return submit_impl(true, std::forward<F>(f), std::forward<Args>(args)...);
  }

  /// Runs `f(args...)` bounded, retried and timed out as @c opts says.
  /**
   * See submit_options. The future settles once: with the first successful
   * attempt's value, or the last failure (a failure the retry policy
   * rejects ends it at once), or cancellation. future::cancel() reaches
   * whatever the task is doing: waiting for a permit, running an attempt,
   * or waiting out a backoff.
   *
   * Statistics count each attempt as a task.
   *
   * @throws std::invalid_argument naming a bad field of @c opts (a
   * negative timeout, an invalid retry policy, retries of a callable that
   * cannot be copied).
   * @throws herd::shutdown_error after shutdown() was called.
   */
  template <class F, class... Args>
  auto submit(const submit_options& opts, F&& f, Args&&... args)
  {
    using traits = detail::task_traits<F, Args...>;
    static_assert(traits::invocable, "herd::async_executor::submit: f is not callable with args (nor with a "
                                     "std::stop_token followed by args)");
    using R = typename traits::result_type;
    using Fn = std::tuple<std::decay_t<F>, std::decay_t<Args>...>;
    opts.retry.validate();
    if (opts.timeout && *opts.timeout <= duration::zero())
      throw std::invalid_argument("herd::async_executor::submit: submit_options.timeout must be positive");
    if (!opts.limiter && opts.retry.max_attempts == 1 && !opts.timeout)
      return submit_impl(true, std::forward<F>(f), std::forward<Args>(args)...);
    if constexpr (!std::is_copy_constructible_v<Fn>)
      if (opts.retry.max_attempts > 1)
        throw std::invalid_argument("herd::async_executor::submit: submit_options.retry.max_attempts > 1 needs a "
                                    "copyable f and args");
    auto fn = std::make_shared<Fn>(std::forward<F>(f), std::forward<Args>(args)...);
    auto launch = [this, fn]() -> future<R>
    {
      if constexpr (std::is_copy_constructible_v<Fn>)
        return std::apply([this](const auto&... a) { return this->submit_impl(false, a...); }, *fn);
      else
        return std::apply([this](auto&... a) { return this->submit_impl(false, std::move(a)...); }, *fn);
    };
    using task_type = detail::managed_task<R, decltype(launch)>;
    detail::executor_impl* impl = impl_.get();
    impl->accept(true, false);
    try
    {
      auto t = std::make_shared<task_type>(impl, std::move(launch), opts.limiter, opts.retry, opts.timeout);
      t->start();
      impl->end_accept();
      return future<R>(std::shared_ptr<detail::shared_state<R>>(std::move(t)));
    }
    catch (...)
    {
      impl->end_accept();
      impl->release();
      throw;
    }
  }

  /// Applies @c f to the items of @c ranges (zipped) and returns the results in input order.
  /**
   * Blocks until every item has ended. Like Python's
   * `executor.map(f, *iterables)`: several ranges are read in step and the
   * shortest ends the map.
   *
   * @param opts See map_options: @c limit bounds the items in flight
   * (default: the pool's width); @c retry and @c timeout apply per item.
   * @param f Called as `f(a, b, ...)` with copies of the ranges' elements;
   * it may return a value, or `net::awaitable<R>` (run as a coroutine; a
   * waiting coroutine holds no thread, so @c limit may exceed the pool).
   *
   * @returns `std::vector<R>`.
   * @throws The first failure in input order: once an item fails no later
   * item starts, the later ones in flight are cancelled, and the earlier
   * ones run to their end (a failure among them is raised instead).
   * @throws std::logic_error on one of the executor's own threads.
   */
  template <class F, std::ranges::input_range Range, std::ranges::input_range... Ranges>
  auto map(const map_options& opts, F&& f, Range&& range, Ranges&&... ranges)
  {
    if (impl_->on_own_thread())
      throw std::logic_error("herd::async_executor::map: called on one of the executor's own threads, it could "
                             "deadlock");
    auto d =
        make_map_driver<true>(opts, false, std::forward<F>(f), std::forward<Range>(range), std::forward<Ranges>(ranges)...);
    d->start();
    d->wait_finished();
    return d->take_results();
  }

  /// map() with default map_options.
  template <class F, std::ranges::input_range Range, std::ranges::input_range... Ranges>
  auto map(F&& f, Range&& range, Ranges&&... ranges)
  {
    return map(map_options{}, std::forward<F>(f), std::forward<Range>(range), std::forward<Ranges>(ranges)...);
  }

  /// Applies @c f to the items of @c range and yields the results in input order as they are ready.
  /**
   * At most `opts.limit` items are launched and not yet consumed, so at
   * most that many results are held. Leaving the loop early (destroying
   * the returned range) cancels the rest. A failed item's exception is
   * thrown when the loop reaches it. An lvalue @c range must outlive the
   * returned range.
   */
  template <class F, std::ranges::input_range Range>
  auto map_iter(F&& f, Range&& range, const map_options& opts = {})
  {
    return map_iter(opts, std::forward<F>(f), std::forward<Range>(range));
  }

  /// map_iter over several ranges read in step, like map(): `f(a[i], b[i])`
  /// until the shortest range ends.
  template <class F, std::ranges::input_range Range, std::ranges::input_range... Ranges>
    requires(sizeof...(Ranges) > 0)
  auto map_iter(F&& f, Range&& range, Ranges&&... ranges)
  {
    return map_iter(map_options{}, std::forward<F>(f), std::forward<Range>(range), std::forward<Ranges>(ranges)...);
  }

  /// map_iter with options first, for one range or several.
  template <class F, std::ranges::input_range Range, std::ranges::input_range... Ranges>
  auto map_iter(const map_options& opts, F&& f, Range&& range, Ranges&&... ranges)
  {
    using R = typename detail::map_traits<F, Range, Ranges...>::result_type;
    auto d = make_map_driver<false>(opts, true, std::forward<F>(f), std::forward<Range>(range),
                                    std::forward<Ranges>(ranges)...);
    d->start();
    return map_range<R>(std::move(d), impl_.get());
  }

  /// herd::wait(fs, options) (DESIGN's `ex.wait`); needs <herd/wait.hpp>.
  /**
   * The same as the free function, except that a null `options.clock`
   * means this executor's clock (get_clock()), so a timeout runs in the
   * executor's (possibly virtual) time even for futures of promises. It
   * lives in <herd/wait.hpp>, a layer above this header: a translation unit
   * that calls it without that header fails to compile, naming it.
   */
  template <class R>
  auto wait(const R& fs, const wait_options& options) const
  {
    static_assert(detail::executor_waits_included<R>, "herd::async_executor::wait needs #include <herd/wait.hpp>");
    return detail::executor_waits<R>::wait(get_clock(), fs, options);
  }

  /// wait(fs, {}): blocks until every input has finished.
  template <class R>
  auto wait(const R& fs) const
  {
    static_assert(detail::executor_waits_included<R>, "herd::async_executor::wait needs #include <herd/wait.hpp>");
    return detail::executor_waits<R>::wait(get_clock(), fs);
  }

  /// herd::as_completed(fs, timeout) on this executor's clock (DESIGN's
  /// `ex.as_completed`): the futures of @c fs in the order they finish.
  /// Needs <herd/wait.hpp> (see wait()).
  template <class R>
  auto as_completed(const R& fs, std::optional<duration> timeout = std::nullopt) const
  {
    static_assert(detail::executor_waits_included<R>,
                  "herd::async_executor::as_completed needs #include <herd/wait.hpp>");
    return detail::executor_waits<R>::as_completed(get_clock(), fs, timeout);
  }

  /// Applies @c f to the items of @c range asynchronously.
  /**
   * The asynchronous form of map(): same semantics, no thread blocks. An
   * lvalue @c range must outlive the operation.
   *
   * @par Completion Signature
   * @code void(std::exception_ptr, std::vector<R>) @endcode
   *
   * The handler runs on its associated executor, by default the pool's
   * (never inside this call); the operation's state is allocated with its
   * associated allocator.
   *
   * @par Per-Operation Cancellation
   * Terminal, partial and total: no further item starts, the ones in
   * flight are cancelled, and the handler runs once they have ended, with
   * `herd::cancelled_error`.
   */
  template <class F, std::ranges::input_range Range, class CompletionToken = net::deferred_t>
  auto async_map(F&& f, Range&& range, const map_options& opts = {}, CompletionToken&& token = CompletionToken())
  {
    using R = typename detail::map_traits<F, Range>::result_type;
    auto d = make_map_driver<true>(opts, false, std::forward<F>(f), std::forward<Range>(range));
    // The pool's executor is the initiation's (experimental::use_promise
    // makes its handler from it) and the handler's default.
    net::any_io_executor pool = impl_->executor();
    return net::async_initiate<CompletionToken, void(std::exception_ptr, std::vector<R>)>(
        detail::initiation_on(pool,
                              [](auto handler, net::any_io_executor pool, std::shared_ptr<detail::map_run<R>> d)
                              {
                                detail::map_op<R, decltype(handler)>::start(std::move(handler), pool, std::move(d));
                              }),
        token, pool, std::shared_ptr<detail::map_run<R>>(std::move(d)));
  }

private:
  // (Both bodies are in impl/async_executor.hpp.)
  template <class F, class... Args>
  auto submit_impl(bool external, F&& f, Args&&... args);

  template <bool Workers, class F, class Range, class... Ranges>
  auto make_map_driver(const map_options& opts, bool windowed, F&& f, Range&& range, Ranges&&... ranges);

public:
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
        detail::initiate_submit(impl_.get()), token, static_cast<R*>(nullptr), std::forward<F>(f));
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

/// The clock of @c ex (its get_clock()): herd::clock_of for the pool itself.
inline herd::clock& clock_of(const async_executor& ex) { return ex.get_clock(); }

} // namespace herd

#include <herd/impl/async_executor.hpp>

#endif // HERD_ASYNC_EXECUTOR_HPP

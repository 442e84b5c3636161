//
// herd/future.hpp
// ~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_FUTURE_HPP
#define HERD_FUTURE_HPP

#include <herd/config.hpp>
#include <herd/detail/shared_state.hpp>
#include <herd/error.hpp>
#include <herd/task_state.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <chrono>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace herd {

template <class T>
class promise;

/// The value an async_wait on a `future<T>` completes with.
/**
 * A future is a shared handle, so a wait cannot take the value away from the
 * other holders: it completes with a copy of the value when T is copyable and
 * default-constructible (the default value is passed alongside an exception),
 * and otherwise with a `std::shared_ptr<const T>` that points at the stored
 * value and keeps it alive (null alongside an exception). Move-only and
 * non-default-constructible results therefore work with every token.
 */
template <class T>
using wait_value_t = std::conditional_t<std::is_copy_constructible_v<T> && std::is_default_constructible_v<T>, T,
                                        std::shared_ptr<const T>>;

namespace detail {

template <class T>
struct wait_signature
{
  using type = void(std::exception_ptr, wait_value_t<T>);
};

template <>
struct wait_signature<void>
{
  using type = void(std::exception_ptr);
};

class initiate_future_wait;

// herd's own algorithms reach a future's state through this.
struct future_access
{
  template <class F>
  static auto& mutable_state(const F& f)
  {
    return f.state_base();
  }
};

} // namespace detail

/// A shared, thread-safe handle to the outcome of a task.
/**
 * Like `std::shared_future`, a future can be copied freely and read from any
 * thread; every copy sees the same outcome. Completion is pushed to waiters:
 * a future never polls. Blocking waits park the thread on a condition
 * variable and wake as soon as the outcome is set.
 *
 * A default-constructed future has no state: valid() is false and every
 * other member throws `std::future_error(std::future_errc::no_state)`.
 *
 * @par Thread Safety
 * @e Distinct @e and @e shared @e objects: Safe.
 */
template <class T>
class future
{
public:
  using value_type = T;

  /// Completion signature of async_wait.
  using wait_signature = typename detail::wait_signature<T>::type;

  /// Constructs a future without a state.
  future() noexcept = default;

  /// Whether the future refers to a state.
  bool valid() const noexcept { return state_ != nullptr; }

  /// Whether the outcome is settled (completed, failed or cancelled).
  bool done() const { return checked().done(); }

  /// The current state of the task.
  task_state state() const { return checked().state(); }

  /// Blocks until done, then returns the value or rethrows the failure.
  /**
   * For `future<void>` it returns nothing. A cancelled task rethrows its
   * cancellation error (`herd::cancelled_error`, or `herd::shutdown_error`
   * when the executor cancelled it at shutdown).
   *
   * @throws std::logic_error if called on a thread of the executor that must
   * run the task, where waiting could deadlock.
   */
  decltype(auto) get() const
  {
    const auto& s = checked();
    s.wait("herd::future::get");
    if (s.error())
      std::rethrow_exception(s.error());
    if constexpr (!std::is_void_v<T>)
      return static_cast<const T&>(s.value());
  }

  /// get(), waiting at most @c d (antflow's `result(timeout=)`).
  /**
   * Returns the value (or rethrows the failure) if the outcome is settled
   * within @c d, measured on `std::chrono::steady_clock`.
   *
   * @throws herd::timeout_error ("herd::future::get_for: not done in time")
   * otherwise. The task is not cancelled: call cancel() for that. As with
   * wait_for, a wait on one of the executor's own threads is not refused
   * (it is bounded), but it holds that thread until the deadline.
   */
  template <class Rep, class Period>
  decltype(auto) get_for(const std::chrono::duration<Rep, Period>& d) const
  {
    return get_by(std::chrono::steady_clock::now() + d, "herd::future::get_for");
  }

  /// get(), waiting until @c tp at the latest; throws herd::timeout_error
  /// if the outcome is not settled by then (see get_for).
  template <class Clock, class Duration>
  decltype(auto) get_until(const std::chrono::time_point<Clock, Duration>& tp) const
  {
    return get_by(tp, "herd::future::get_until");
  }

  /// Blocks until done. Throws std::logic_error where waiting could deadlock.
  void wait() const { checked().wait("herd::future::wait"); }

  /// Blocks until done or until @c d has passed; returns done().
  template <class Rep, class Period>
  bool wait_for(const std::chrono::duration<Rep, Period>& d) const
  {
    return checked().wait_until(std::chrono::steady_clock::now() + d);
  }

  /// Blocks until done or until @c tp; returns done().
  template <class Clock, class Duration>
  bool wait_until(const std::chrono::time_point<Clock, Duration>& tp) const
  {
    return checked().wait_until(tp);
  }

  /// Blocks until done; returns the failure, or null on success.
  std::exception_ptr exception() const
  {
    const auto& s = checked();
    s.wait("herd::future::exception");
    return s.error();
  }

  /// Requests cancellation of the task.
  /**
   * A task that has not started is cancelled at once and never runs; its
   * future fails with `herd::cancelled_error`. A running task is asked to
   * stop if it can observe the request (it takes a `std::stop_token`, or it
   * is a coroutine, which sees Asio's terminal cancellation); it then ends
   * cancelled if it exits with `herd::cancelled_error` or
   * `operation_aborted`, and otherwise with whatever it returned or threw.
   *
   * @returns true if the request could still change the outcome.
   */
  bool cancel() const { return state_base().cancel(); }

  /// Waits asynchronously for the outcome.
  /**
   * @param token The completion token. The default, `net::deferred`, makes
   * the call an operation to compose (parallel_group, `&&`/`||`), to launch
   * later with another token, or to `co_await` in a `net::awaitable`
   * coroutine: `int v = co_await f.async_wait();` (herd carries the Boost
   * 1.81 fix that makes `co_await` of such deferred operations compile:
   * detail/asio_workarounds.hpp).
   *
   * @par Completion Signature
   * @code void(std::exception_ptr, herd::wait_value_t<T>) @endcode
   * (`void(std::exception_ptr)` for `future<void>`). The exception is the
   * task's failure or cancellation error; the value is meaningful only when
   * it is null.
   *
   * The handler is always posted to its associated executor once the
   * outcome is settled: never run inside this call, nor inside the settling
   * call (`set_value`, a task finishing), so a handler that throws leaves
   * that executor's `run()` as in plain Asio. Without an associated executor
   * it is posted to `net::system_executor`. The operation keeps that
   * executor's work until the handler has run and allocates its state with
   * the handler's associated allocator.
   *
   * @par Per-Operation Cancellation
   * Terminal, partial and total cancellation abandon the wait, not the task
   * (a withdrawal has no side effect, so it satisfies all three): the
   * handler completes with a `boost::system::system_error` holding
   * `net::error::operation_aborted`.
   */
  template <class CompletionToken = net::deferred_t>
  auto async_wait(CompletionToken&& token = CompletionToken()) const;

  /// The future as an Asio asynchronous operation: `f(token)` is
  /// `f.async_wait(token)`.
  /**
   * So `co_await f` in a `net::awaitable` coroutine waits for the future,
   * exactly as `co_await f.async_wait()`: it returns the value (nothing for
   * `future<void>`) or rethrows the task's failure. A future can also be
   * given wherever herd takes an Asio operation (`herd::with_timeout(d, f,
   * token)` bounds the wait, not the task). The wait keeps the future's
   * state, not the future object, alive.
   */
  template <class CompletionToken>
    requires net::completion_token_for<CompletionToken, wait_signature>
  auto operator()(CompletionToken&& token) const
  {
    return async_wait(std::forward<CompletionToken>(token));
  }

private:
  template <class>
  friend class promise;
  template <class>
  friend class future;
  friend class async_executor;
  template <class U>
  friend future<U> make_ready_future_impl(std::shared_ptr<detail::shared_state<U>>) noexcept;
  friend struct detail::future_access;

  explicit future(std::shared_ptr<detail::shared_state<T>> s) noexcept : state_(std::move(s)) {}

  template <class Clock, class Duration>
  decltype(auto) get_by(const std::chrono::time_point<Clock, Duration>& tp, const char* call) const
  {
    const auto& s = checked();
    if (!s.wait_until(tp))
      throw timeout_error(std::string(call) + ": not done in time");
    if (s.error())
      std::rethrow_exception(s.error());
    if constexpr (!std::is_void_v<T>)
      return static_cast<const T&>(s.value());
  }

  const detail::shared_state<T>& checked() const
  {
    if (!state_)
      throw std::future_error(std::future_errc::no_state);
    return *state_;
  }

  detail::shared_state<T>& state_base() const
  {
    if (!state_)
      throw std::future_error(std::future_errc::no_state);
    return *state_;
  }

  std::shared_ptr<detail::shared_state<T>> state_;
};

/// The producing side of a future.
/**
 * A promise destroyed before it was set fails its future with
 * `std::future_error(std::future_errc::broken_promise)`. Setting a promise
 * twice throws `std::future_error(promise_already_satisfied)`; setting one
 * whose future was cancelled is ignored (the future stays cancelled; see
 * cancelled()).
 */
template <class T>
class promise
{
public:
  promise() : state_(std::make_shared<detail::shared_state<T>>()) {}
  promise(promise&&) noexcept = default;
  promise& operator=(promise&& other) noexcept
  {
    if (this != &other)
    {
      abandon();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  ~promise() { abandon(); }

  /// Returns a future sharing this promise's state (callable many times).
  future<T> get_future() const { return future<T>(checked()); }

  /// Sets the value and completes every waiter.
  template <class... Args>
  void set_value(Args&&... args)
  {
    auto& s = *checked();
    if (!s.set_value(std::forward<Args>(args)...))
      already_set(s);
  }

  /// Sets the failure and completes every waiter.
  void set_exception(std::exception_ptr e)
  {
    if (!e)
      throw std::invalid_argument("herd::promise::set_exception: e must not be null");
    auto& s = *checked();
    if (!s.set_exception(std::move(e)))
      already_set(s);
  }

  /// Whether the future was cancelled (the producer may stop early).
  bool cancelled() const noexcept { return state_ && state_->cancel_requested(); }

private:
  const std::shared_ptr<detail::shared_state<T>>& checked() const
  {
    if (!state_)
      throw std::future_error(std::future_errc::no_state);
    return state_;
  }

  static void already_set(const detail::shared_state<T>& s)
  {
    // cancel() sets its bit together with its claim, before the state reads
    // cancelled: test the bit so a racing set is ignored, not refused.
    if (!s.cancel_requested())
      throw std::future_error(std::future_errc::promise_already_satisfied);
  }

  void abandon() noexcept
  {
    if (state_ && !state_->done())
      state_->set_exception(std::make_exception_ptr(std::future_error(std::future_errc::broken_promise)));
  }

  std::shared_ptr<detail::shared_state<T>> state_;
};

template <class U>
future<U> make_ready_future_impl(std::shared_ptr<detail::shared_state<U>> s) noexcept
{
  return future<U>(std::move(s));
}

/// A future that is already completed with @c value.
template <class T>
future<std::decay_t<T>> make_ready_future(T&& value)
{
  auto s = std::make_shared<detail::shared_state<std::decay_t<T>>>();
  s->set_value(std::forward<T>(value));
  return make_ready_future_impl(std::move(s));
}

/// A completed `future<void>`.
inline future<void> make_ready_future()
{
  auto s = std::make_shared<detail::shared_state<void>>();
  s->set_value();
  return make_ready_future_impl(std::move(s));
}

/// A future that has already failed with @c e (which must not be null).
template <class T>
future<T> make_exceptional_future(std::exception_ptr e)
{
  if (!e)
    throw std::invalid_argument("herd::make_exceptional_future: e must not be null");
  auto s = std::make_shared<detail::shared_state<T>>();
  s->set_exception(std::move(e));
  return make_ready_future_impl(std::move(s));
}

/// A value or an exception: what the `_settled` forms return.
template <class T>
class outcome
{
public:
  /// A failed outcome needs an exception; a successful one a value.
  outcome(T value) : value_(std::move(value)) {}
  outcome(std::exception_ptr e) : error_(std::move(e))
  {
    if (!error_)
      throw std::invalid_argument("herd::outcome: the exception must not be null");
  }

  bool has_value() const noexcept { return !error_; }
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; rethrows the failure.
  const T& value() const&
  {
    if (error_)
      std::rethrow_exception(error_);
    return *value_;
  }
  T&& value() &&
  {
    if (error_)
      std::rethrow_exception(error_);
    return std::move(*value_);
  }

  /// The failure, or null.
  const std::exception_ptr& error() const noexcept { return error_; }

  template <class U>
  T value_or(U&& fallback) const&
  {
    return error_ ? static_cast<T>(std::forward<U>(fallback)) : *value_;
  }

private:
  std::optional<T> value_;
  std::exception_ptr error_;
};

/// The outcome of a `void` task: success or an exception.
template <>
class outcome<void>
{
public:
  outcome() noexcept = default;
  outcome(std::exception_ptr e) noexcept : error_(std::move(e)) {}

  bool has_value() const noexcept { return !error_; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const
  {
    if (error_)
      std::rethrow_exception(error_);
  }
  const std::exception_ptr& error() const noexcept { return error_; }

private:
  std::exception_ptr error_;
};

} // namespace herd

#include <herd/impl/future.hpp>

#endif // HERD_FUTURE_HPP

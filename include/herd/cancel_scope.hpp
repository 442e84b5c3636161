//
// herd/cancel_scope.hpp
// ~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_CANCEL_SCOPE_HPP
#define HERD_CANCEL_SCOPE_HPP

#include <herd/config.hpp>
#include <herd/detail/op_traits.hpp>
#include <herd/detail/scope_op.hpp>
#include <herd/error.hpp>
#include <herd/timeout.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>
#include <stdexcept>

namespace herd {

/// A scope whose operations can be cancelled from anywhere, or at a deadline (Trio's CancelScope).
/**
 * `co_await scope.run(op, net::use_awaitable)` runs @c op (an Asio deferred
 * operation or a `net::awaitable<T>`) until it completes, or until
 * cancel() is called (from any thread) or the deadline passes: then @c op
 * gets an Asio terminal cancellation request, which really cancels what it
 * is waiting for, and run() completes once @c op has, with @c op's own
 * result (typically `operation_aborted` or `herd::cancelled_error`).
 *
 * A scope may run several operations, one after another or at once; a
 * cancelled scope cancels each operation it runs at once. Scopes nest:
 * running an inner scope inside an outer one's operation, cancelling the
 * outer one cancels the inner one's operation too, whichever deadline is
 * earlier wins.
 *
 * @par Thread Safety
 * Every member function may be called from any thread.
 */
class cancel_scope
{
public:
  /// A scope without a deadline.
  cancel_scope() = default;

  /// A scope whose operations are cancelled @c timeout after each starts
  /// (on the clock of the handler's executor).
  /** @throws std::invalid_argument naming @c timeout if it is negative. */
  explicit cancel_scope(duration timeout) : timeout_(timeout)
  {
    if (timeout < duration::zero())
      throw std::invalid_argument("herd::cancel_scope: timeout must not be negative");
  }

  /// Cancels every operation running in the scope, and those it runs later.
  void cancel() { state_->cancel(); }

  /// True once cancel() was called or a deadline passed.
  bool cancel_called() const { return state_->cancel_called(); }

  /// Runs @c op in the scope.
  /**
   * @par Completion Signature
   * @c op's own.
   *
   * @par Per-Operation Cancellation
   * Forwarded to @c op (outer scopes reach inner ones this way).
   */
  template <class Op, class CompletionToken = net::deferred_t>
  auto run(Op&& op, CompletionToken&& token = CompletionToken())
  {
    static_assert(detail::is_operation_v<Op>, "herd::cancel_scope::run: op must be an Asio deferred operation or an "
                                              "awaitable");
    return detail::initiate_scope<detail::on_deadline::cancel>(timeout_, std::forward<Op>(op), state_,
                                                               std::forward<CompletionToken>(token));
  }

private:
  std::optional<duration> timeout_;
  std::shared_ptr<detail::scope_state> state_ = std::make_shared<detail::scope_state>();
};

/// Runs @c op for at most @c d; past it, cancels @c op and completes with an empty result instead of failing.
/**
 * @par Completion Signature
 * For an operation completing with `(E, T)`: `void(E, std::optional<T>)`;
 * with `(E)` only: `void(E, bool)` (true if it completed). E is
 * `error_code` or `exception_ptr`. At the deadline the result is
 * `(no error, empty)`; a failure before it is delivered as it was.
 */
template <class Op, class CompletionToken = net::deferred_t>
auto move_on_after(duration d, Op&& op, CompletionToken&& token = CompletionToken())
{
  static_assert(detail::is_operation_v<Op>, "herd::move_on_after: op must be an Asio deferred operation or an "
                                            "awaitable");
  static_assert(detail::op_signature_of<Op>::can_fail,
                "herd::move_on_after: op's completion must lead with an error_code or exception_ptr");
  if (d < duration::zero())
    throw std::invalid_argument("herd::move_on_after: d must not be negative");
  return detail::initiate_scope<detail::on_deadline::move_on>(d, std::forward<Op>(op), nullptr,
                                                              std::forward<CompletionToken>(token));
}

namespace detail {

// A handler seen without its cancellation slot (executor kept).
template <class Handler>
struct without_slot
{
  using executor_type = net::associated_executor_t<Handler, net::any_io_executor>;
  executor_type get_executor() const noexcept { return net::get_associated_executor(h_, default_op_executor()); }

  template <class... Args>
  void operator()(Args&&... args)
  {
    std::move(h_)(std::forward<Args>(args)...);
  }

  Handler h_;
};

template <class Op>
class shielded
{
public:
  using signature = operation_signature_t<Op>;

  explicit shielded(Op op) : op_(std::move(op)) {}

  template <net::completion_token_for<signature> CompletionToken>
  auto operator()(CompletionToken&& token) &&
  {
    return net::async_initiate<CompletionToken, signature>(
        [](auto handler, Op op)
        {
          // The handler's slot is not passed on: nothing outside reaches op.
          auto ex = net::get_associated_executor(handler, default_op_executor());
          operation_traits<Op>::start(op, ex, without_slot<decltype(handler)>{std::move(handler)});
        },
        token, std::move(op_));
  }

private:
  Op op_;
};

} // namespace detail

/// An operation that outer cancellation cannot reach (Trio's shield).
/**
 * `co_await herd::shield(op)` runs @c op to its end even if the awaiting
 * coroutine, scope or group is cancelled meanwhile: the cancellation slot is
 * not passed on. Use it for clean-up that must complete.
 *
 * @note In a coroutine whose cancellation has already been requested, Asio
 * refuses every further `co_await` of an operation (it throws
 * operation_aborted first) unless the coroutine opted out: write
 * `co_await net::this_coro::throw_if_cancelled(false);` (or
 * `reset_cancellation_state()`) before the clean-up.
 */
template <class Op>
auto shield(Op&& op)
{
  static_assert(detail::is_operation_v<Op>, "herd::shield: op must be an Asio deferred operation or an awaitable");
  return detail::shielded<std::decay_t<Op>>(std::forward<Op>(op));
}

/// A cancellation point for coroutines.
/**
 * Throws `herd::cancelled_error` if cancellation of the calling coroutine
 * has been requested (its cancellation state is cancelled); otherwise
 * yields: other work queued on the executor runs before it resumes. A
 * long computation that calls it regularly stops promptly when cancelled.
 */
inline net::awaitable<void> checkpoint()
{
  auto cs = co_await net::this_coro::cancellation_state;
  if (cs.cancelled() != net::cancellation_type::none)
    throw cancelled_error("herd::checkpoint: cancelled");
  auto ex = co_await net::this_coro::executor;
  try
  {
    co_await net::post(ex, net::use_awaitable);
  }
  catch (const boost::system::system_error& e)
  {
    // Asio throws operation_aborted on resumption once cancellation is requested.
    if (e.code() == net::error::operation_aborted)
      throw cancelled_error("herd::checkpoint: cancelled");
    throw;
  }
  cs = co_await net::this_coro::cancellation_state;
  if (cs.cancelled() != net::cancellation_type::none)
    throw cancelled_error("herd::checkpoint: cancelled");
}

} // namespace herd

#endif // HERD_CANCEL_SCOPE_HPP

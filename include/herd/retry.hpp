//
// herd/retry.hpp
// ~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_RETRY_HPP
#define HERD_RETRY_HPP

#include <herd/clock.hpp>
#include <herd/config.hpp>
#include <herd/detail/composed.hpp>
#include <herd/detail/op_traits.hpp>
#include <herd/error.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <chrono>
#include <cmath>
#include <exception>
#include <functional>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

namespace herd
{

/// How the delay grows between attempts.
enum class backoff_kind
{
  fixed,       ///< initial, every time
  linear,      ///< initial * n
  exponential, ///< initial * multiplier^(n-1)
  fibonacci    ///< initial * fib(n): 1, 1, 2, 3, 5, ...
};

/// When and how often to try again.
/**
 * The delay before retry n (n >= 1, the (n+1)-th attempt) is given by
 * @c backoff (see backoff_kind), capped at @c max_delay. With @c jitter j
 * in (0, 1] it is drawn uniformly from [delay * (1 - j), delay].
 *
 * A failure is retried while attempts remain and @c retry_if (if set)
 * accepts the exception; a rejected failure is raised at once, and after
 * the last attempt the last exception is raised unchanged.
 *
 * The default policy makes one attempt: no retry.
 */
struct retry_policy
{
  std::size_t max_attempts = 1;
  backoff_kind backoff = backoff_kind::exponential;
  duration initial = std::chrono::milliseconds(100);
  double multiplier = 2;
  duration max_delay = std::chrono::seconds(30);
  double jitter = 0;
  std::function<bool(std::exception_ptr)> retry_if = {};

  /// @c attempts attempts with the same delay between them.
  static retry_policy fixed(std::size_t attempts, duration delay)
  {
    return {.max_attempts = attempts, .backoff = backoff_kind::fixed, .initial = delay};
  }

  /// @c attempts attempts, waiting initial, 2*initial, 3*initial, ...
  static retry_policy linear(std::size_t attempts, duration initial)
  {
    return {.max_attempts = attempts, .backoff = backoff_kind::linear, .initial = initial};
  }

  /// @c attempts attempts, waiting initial, initial*multiplier, ...
  static retry_policy exponential(std::size_t attempts, duration initial, double multiplier = 2)
  {
    return {
        .max_attempts = attempts, .backoff = backoff_kind::exponential, .initial = initial, .multiplier = multiplier};
  }

  /// @c attempts attempts, waiting initial times 1, 1, 2, 3, 5, ...
  static retry_policy fibonacci(std::size_t attempts, duration initial)
  {
    return {.max_attempts = attempts, .backoff = backoff_kind::fibonacci, .initial = initial};
  }

  /// Throws std::invalid_argument naming the first bad field.
  void validate() const
  {
    if (max_attempts == 0)
      throw std::invalid_argument("herd::retry_policy: max_attempts must be at least 1");
    if (initial < duration::zero())
      throw std::invalid_argument("herd::retry_policy: initial must not be negative");
    if (max_delay < duration::zero())
      throw std::invalid_argument("herd::retry_policy: max_delay must not be negative");
    if (!(multiplier >= 1.0))
      throw std::invalid_argument("herd::retry_policy: multiplier must be at least 1");
    if (!(jitter >= 0.0 && jitter <= 1.0))
      throw std::invalid_argument("herd::retry_policy: jitter must be in [0, 1]");
  }

  /// The delay before retry @c n (n >= 1), without jitter.
  duration delay_before(std::size_t n) const
  {
    if (n == 0)
      return duration::zero();
    const double w = static_cast<double>(initial.count());
    double d = w;
    switch (backoff)
    {
    case backoff_kind::fixed:
      d = w;
      break;
    case backoff_kind::linear:
      d = w * static_cast<double>(n);
      break;
    case backoff_kind::exponential:
      d = w * std::pow(multiplier, static_cast<double>(n - 1));
      break;
    case backoff_kind::fibonacci:
    {
      double a = 1, b = 1; // fib(1), fib(2)
      for (std::size_t i = 2; i < n && a * w < static_cast<double>(max_delay.count()); ++i)
      {
        const double c = a + b;
        a = b;
        b = c;
      }
      d = w * (n <= 2 ? 1.0 : b);
      break;
    }
    }
    const double cap = static_cast<double>(max_delay.count());
    if (!(d < cap))
      return max_delay;
    return duration(static_cast<duration::rep>(d));
  }

  /// The delay before retry @c n with jitter drawn from @c g.
  template <class URBG>
  duration delay_before(std::size_t n, URBG& g) const
  {
    const duration d = delay_before(n);
    if (jitter <= 0 || d <= duration::zero())
      return d;
    std::uniform_real_distribution<double> u(1.0 - jitter, 1.0);
    return duration(static_cast<duration::rep>(static_cast<double>(d.count()) * u(g)));
  }

  /// True if the failure @c e may be retried (ignores the attempt count).
  bool should_retry(const std::exception_ptr& e) const { return !retry_if || retry_if(e); }
};

namespace detail
{

template <class E, class... Rest>
bool exception_is(const std::exception_ptr& e)
{
  try
  {
    std::rethrow_exception(e);
  }
  catch (const E&)
  {
    return true;
  }
  catch (...)
  {
  }
  if constexpr (sizeof...(Rest) > 0)
    return exception_is<Rest...>(e);
  else
    return false;
}

} // namespace detail

/// A retry_if predicate accepting exceptions of the types @c E... (and types derived from them).
template <class... E>
std::function<bool(std::exception_ptr)> retry_on()
{
  static_assert(sizeof...(E) > 0, "herd::retry_on: name at least one exception type");
  return [](std::exception_ptr e) { return e && detail::exception_is<E...>(e); };
}

namespace detail
{

inline std::minstd_rand& retry_rng()
{
  thread_local std::minstd_rand g(std::random_device{}());
  return g;
}

template <class MakeOp, class Handler, class Sig>
class retry_op;

template <class MakeOp, class Handler, class... Args>
class retry_op<MakeOp, Handler, void(Args...)> : public composed_op<retry_op<MakeOp, Handler, void(Args...)>, Handler,
                                                                    typename op_signature<void(Args...)>::values>
{
  using sig = op_signature<void(Args...)>;
  using base = composed_op<retry_op, Handler, typename sig::values>;

public:
  retry_op(Handler&& h, retry_policy policy, MakeOp make_op)
      : base(std::move(h)), policy_(std::move(policy)), make_op_(std::move(make_op)), timer_(this->strand_)
  {
  }

  void start()
  {
    this->start_here([](retry_op& self) { self.attempt(); });
  }

  void on_cancel(net::cancellation_type type)
  {
    cancelled_ = true;
    if (waiting_)
    {
      timer_.cancel();
      return;
    }
    this->signal_.emit(type);
  }

private:
  void attempt()
  {
    ++attempts_;
    try
    {
      auto op = make_op_();
      operation_traits<decltype(op)>::start(
          op, this->strand_,
          this->on_strand_cancellable([](retry_op& self, auto&&... a)
                                      { self.on_result(typename sig::values(std::forward<decltype(a)>(a)...)); }));
    }
    catch (...)
    {
      // make_op itself threw: not a failure to retry (calling it again
      // would throw again) but the end of the operation, delivered as
      // faithfully as the signature allows.
      this->finish(sig::thrown());
    }
  }

  void on_result(typename sig::values v)
  {
    if (!sig::failed(v) || attempts_ >= policy_.max_attempts || cancelled_ || !policy_.should_retry(sig::error_of(v)))
    {
      this->finish(std::move(v));
      return;
    }
    waiting_ = true;
    timer_.expires_after(policy_.delay_before(attempts_, retry_rng()));
    timer_.async_wait(this->on_strand(
        [](retry_op& self, boost::system::error_code ec)
        {
          self.waiting_ = false;
          if (ec || self.cancelled_)
          {
            // Cancelled during the backoff: the caller learns of the
            // cancellation, not of a failure it asked to stop retrying.
            self.finish(sig::failure(net::error::operation_aborted,
                                     std::make_exception_ptr(cancelled_error("herd::async_retry: cancelled"))));
            return;
          }
          self.attempt();
        }));
  }

  retry_policy policy_;
  MakeOp make_op_;
  herd::timer timer_;
  std::size_t attempts_ = 0;
  bool waiting_ = false;
  bool cancelled_ = false;
};

struct initiate_retry
{
  template <class Handler, class MakeOp>
  void operator()(Handler&& handler, retry_policy policy, MakeOp make_op) const
  {
    using sig_t = operation_signature_t<decltype(std::declval<MakeOp&>()())>;
    allocate_shared_op<retry_op<MakeOp, std::decay_t<Handler>, sig_t>>(
        std::decay_t<Handler>(std::forward<Handler>(handler)), std::move(policy), std::move(make_op))
        ->start();
  }
};

} // namespace detail

/// Retries an Asio operation according to @c policy.
/**
 * @param policy The retry policy (validated: invalid fields throw
 * std::invalid_argument naming them).
 * @param make_op A callable returning a fresh deferred operation for each
 * attempt, e.g. `[&] { return sock.async_connect(ep, net::deferred); }`.
 * An attempt fails when its completion's leading `error_code` or
 * `exception_ptr` is set; an operation with neither never fails. A
 * make_op that throws is not called again: the operation completes with that
 * exception (exception_ptr signatures) or, for error_code signatures, with
 * its code if it is a `boost::system::system_error`, otherwise
 * `errc::invalid_argument`.
 * @param token The completion token.
 *
 * The backoff between attempts waits on a herd::timer on the clock of the
 * handler's associated executor; no thread is held.
 *
 * @par Executor
 * The first attempt starts inside this call, on the caller's thread; later
 * steps and the timers run on a strand of the handler's associated executor
 * and read its context's clock. An attempt that completes inside its own
 * initiation is handled as a later step (no deadlock, no recursion). The
 * operation keeps the handler's executor busy until the handler has run;
 * the strand it hands to user code (`this_coro::executor` of an awaitable)
 * tracks no work. A handler with no associated executor gets the system
 * executor (as with parallel_group), which neither runs on nor keeps alive
 * the I/O objects' io_context: bind the handler to that executor
 * (net::bind_executor) or use net::use_awaitable. The handler is always
 * posted, and the state is allocated with its associated allocator.
 *
 * @par Completion Signature
 * The operation's own: the first success, or the last failure unchanged, or
 * a failure that @c retry_if rejected, as it was.
 *
 * @par Per-Operation Cancellation
 * Forwarded to the running attempt (which completes as it does on
 * cancellation; no further attempt is made). During a backoff the wait ends
 * at once with `operation_aborted` (error_code signatures) or
 * `herd::cancelled_error` (exception_ptr signatures).
 */
template <class MakeOp, class CompletionToken = net::deferred_t>
auto async_retry(retry_policy policy, MakeOp make_op, CompletionToken&& token = CompletionToken())
{
  static_assert(detail::is_operation_v<decltype(std::declval<MakeOp&>()())>,
                "herd::async_retry: make_op must return an Asio deferred operation or an awaitable");
  policy.validate();
  using sig_t = detail::operation_signature_t<decltype(std::declval<MakeOp&>()())>;
  return net::async_initiate<CompletionToken, sig_t>(detail::initiate_retry(), token, std::move(policy),
                                                     std::move(make_op));
}

} // namespace herd

#endif // HERD_RETRY_HPP

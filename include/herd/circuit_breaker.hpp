//
// herd/circuit_breaker.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_CIRCUIT_BREAKER_HPP
#define HERD_CIRCUIT_BREAKER_HPP

#include <herd/clock.hpp>
#include <herd/config.hpp>
#include <herd/detail/composed.hpp>
#include <herd/detail/op_traits.hpp>
#include <herd/error.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace herd
{

/// The states of a circuit_breaker.
enum class breaker_state
{
  closed,   ///< calls pass; consecutive failures are counted
  open,     ///< calls fail fast with circuit_open_error
  half_open ///< probes pass; enough successes close it, a failure reopens it
};

/// Tuning of a circuit_breaker.
struct breaker_options
{
  std::size_t failure_threshold = 5;                 ///< consecutive failures that open it
  duration reset_timeout = std::chrono::seconds(30); ///< open time before probes are let through
  std::size_t half_open_successes = 2;               ///< probe successes that close it
};

namespace detail
{

// The breaker's state machine, shared with the calls in flight so that a
// breaker destroyed while a call runs leaves that call a live machine to
// report to.
class breaker_machine
{
public:
  breaker_machine(herd::clock* c, breaker_options opts) : clock_(c), opts_(opts) {}

  /// The state now (an open breaker whose reset_timeout has passed reads half_open).
  breaker_state state() const
  {
    std::lock_guard lock(mutex_);
    return current_locked();
  }

  /// Asks to make a call. False: the breaker is open, do not call.
  bool try_acquire()
  {
    std::lock_guard lock(mutex_);
    switch (current_locked())
    {
    case breaker_state::closed:
      return true;
    case breaker_state::open:
      return false;
    case breaker_state::half_open:
      state_ = breaker_state::half_open;
      if (probes_ >= opts_.half_open_successes)
        return false;
      ++probes_;
      return true;
    }
    return false;
  }

  /// Reports that an admitted call succeeded.
  void on_success()
  {
    std::lock_guard lock(mutex_);
    switch (current_locked())
    {
    case breaker_state::closed:
      failures_ = 0;
      break;
    case breaker_state::open:
      break; // a call admitted before it opened
    case breaker_state::half_open:
      state_ = breaker_state::half_open;
      if (probes_ > 0)
        --probes_;
      if (++successes_ >= opts_.half_open_successes)
        close_locked();
      break;
    }
  }

  /// Reports that an admitted call failed.
  void on_failure()
  {
    std::lock_guard lock(mutex_);
    switch (current_locked())
    {
    case breaker_state::closed:
      if (++failures_ >= opts_.failure_threshold)
        open_locked();
      break;
    case breaker_state::open:
      break;
    case breaker_state::half_open:
      open_locked();
      break;
    }
  }

  void release_probe()
  {
    std::lock_guard lock(mutex_);
    if (state_ == breaker_state::half_open && probes_ > 0)
      --probes_;
  }

private:
  breaker_state current_locked() const
  {
    if (state_ == breaker_state::open && clock_->now() - opened_at_ >= opts_.reset_timeout)
      return breaker_state::half_open;
    return state_;
  }

  void open_locked()
  {
    state_ = breaker_state::open;
    opened_at_ = clock_->now();
    failures_ = successes_ = probes_ = 0;
  }

  void close_locked()
  {
    state_ = breaker_state::closed;
    failures_ = successes_ = probes_ = 0;
  }

  herd::clock* clock_;
  breaker_options opts_;
  mutable std::mutex mutex_;
  breaker_state state_ = breaker_state::closed;
  clock::time_point opened_at_{};
  std::size_t failures_ = 0;
  std::size_t successes_ = 0;
  std::size_t probes_ = 0;
};

} // namespace detail

/// Stops calling a dependency that keeps failing, and probes it again later.
/**
 * Closed: every call passes; @c failure_threshold consecutive failures open
 * the breaker. Open: calls fail fast with `herd::circuit_open_error`
 * (`herd::errc::circuit_open` for error_code operations) without running;
 * once @c reset_timeout has passed on the executor's clock, the breaker is
 * half-open. Half-open: up to @c half_open_successes probes may be in
 * flight at once; that many successes close the breaker, any failure
 * reopens it for another @c reset_timeout.
 *
 * Use it manually (try_acquire(), then on_success() or on_failure()) or
 * wrap Asio operations with async_call().
 *
 * @par Thread Safety
 * @e Distinct @e objects: Safe.@n
 * @e Shared @e objects: Safe.
 */
class circuit_breaker
{
public:
  using executor_type = net::any_io_executor;

  /// @throws std::invalid_argument naming the field: a zero
  /// failure_threshold or half_open_successes, a negative reset_timeout.
  explicit circuit_breaker(executor_type ex, breaker_options opts = {})
      : ex_(checked(std::move(ex), opts)), m_(std::make_shared<detail::breaker_machine>(&clock_of(ex_), opts))
  {
  }

  executor_type get_executor() const { return ex_; }

  /// The state now (an open breaker whose reset_timeout has passed reads half_open).
  breaker_state state() const { return m_->state(); }

  /// Asks to make a call. False: the breaker is open, do not call.
  bool try_acquire() { return m_->try_acquire(); }

  /// Reports that an admitted call succeeded.
  void on_success() { m_->on_success(); }

  /// Reports that an admitted call failed.
  void on_failure() { m_->on_failure(); }

  /// Runs an Asio operation through the breaker.
  /**
   * @param make_op A callable returning a deferred operation (or an
   * awaitable); called only if the breaker admits the call.
   *
   * @par Executor
   * The operation starts inside this call; later steps and the timers run
   * on a strand of the handler's associated executor (the breaker's executor
   * when the handler has none, as for `use_future`), which the operation
   * keeps alive until its handler has run; the executor user code sees
   * (`this_coro::executor` of an awaitable) tracks no work. Destroying the
   * breaker while a call runs is safe: the call reports to the breaker's
   * state, which it shares.
   *
   * @par Completion Signature
   * The operation's own. When the breaker is open the operation is not
   * started and the completion carries `herd::errc::circuit_open` or
   * `herd::circuit_open_error`. A failed completion counts as a failure;
   * a cancelled one (operation_aborted or herd::cancelled_error) counts as
   * neither.
   *
   * @par Per-Operation Cancellation
   * Forwarded to the operation.
   */
  template <class MakeOp, class CompletionToken = net::deferred_t>
  auto async_call(MakeOp make_op, CompletionToken&& token = CompletionToken())
  {
    using op_t = decltype(std::declval<MakeOp&>()());
    static_assert(detail::is_operation_v<op_t>,
                  "herd::circuit_breaker::async_call: make_op must return a deferred operation or an awaitable");
    static_assert(detail::op_signature_of<op_t>::can_fail,
                  "herd::circuit_breaker::async_call: the operation's completion must lead with an error_code or "
                  "exception_ptr");
    return net::async_initiate<CompletionToken, detail::operation_signature_t<op_t>>(
        detail::initiation_on(ex_,
                              [this](auto handler, MakeOp make_op)
                              {
                                using call_type = call_op<MakeOp, decltype(handler)>;
                                detail::allocate_shared_op<call_type>(std::move(handler), m_, ex_, std::move(make_op))
                                    ->start();
                              }),
        token, std::move(make_op));
  }

private:
  template <class MakeOp, class Handler>
  class call_op
      : public detail::composed_op<call_op<MakeOp, Handler>, Handler,
                                   typename detail::op_signature_of<decltype(std::declval<MakeOp&>()())>::values>
  {
    using op_t = decltype(std::declval<MakeOp&>()());
    using sig = detail::op_signature_of<op_t>;
    using base = detail::composed_op<call_op, Handler, typename sig::values>;

  public:
    call_op(Handler&& h, std::shared_ptr<detail::breaker_machine> b, const executor_type& ex, MakeOp m)
        : base(std::move(h), ex), breaker_(std::move(b)), make_op_(std::move(m))
    {
    }

    void start()
    {
      this->start_here([](call_op& self) { self.launch(); });
    }

    void on_cancel(net::cancellation_type type) { this->signal_.emit(type); }

  private:
    void launch()
    {
      if (!breaker_->try_acquire())
      {
        this->finish(sig::failure(make_error_code(errc::circuit_open),
                                  std::make_exception_ptr(circuit_open_error("herd::circuit_breaker: circuit open"))));
        return;
      }
      try
      {
        auto op = make_op_();
        detail::operation_traits<op_t>::start(
            op, this->strand_,
            this->on_strand_cancellable([](call_op& self, auto&&... a)
                                        { self.on_result(typename sig::values(std::forward<decltype(a)>(a)...)); }));
      }
      catch (...)
      {
        // make_op threw: a failed call, reported through the handler.
        breaker_->on_failure();
        this->finish(sig::thrown());
      }
    }

    void on_result(typename sig::values v)
    {
      if (!sig::failed(v))
        breaker_->on_success();
      else if (is_cancellation(sig::error_of(v)))
        breaker_->release_probe();
      else
        breaker_->on_failure();
      this->finish(std::move(v));
    }

    static bool is_cancellation(const std::exception_ptr& e)
    {
      try
      {
        std::rethrow_exception(e);
      }
      catch (const boost::system::system_error& s)
      {
        return s.code() == net::error::operation_aborted;
      }
      catch (const std::system_error& s)
      {
        return s.code() == errc::cancelled;
      }
      catch (...)
      {
      }
      return false;
    }

    std::shared_ptr<detail::breaker_machine> breaker_;
    MakeOp make_op_;
  };

  static executor_type checked(executor_type ex, const breaker_options& opts)
  {
    if (!ex)
      throw std::invalid_argument("herd::circuit_breaker: ex must not be empty");
    if (opts.failure_threshold == 0)
      throw std::invalid_argument("herd::circuit_breaker: failure_threshold must be at least 1");
    if (opts.half_open_successes == 0)
      throw std::invalid_argument("herd::circuit_breaker: half_open_successes must be at least 1");
    if (opts.reset_timeout < duration::zero())
      throw std::invalid_argument("herd::circuit_breaker: reset_timeout must not be negative");
    return ex;
  }

  executor_type ex_;
  std::shared_ptr<detail::breaker_machine> m_;
};

} // namespace herd

#endif // HERD_CIRCUIT_BREAKER_HPP

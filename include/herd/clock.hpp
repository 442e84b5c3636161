//
// herd/clock.hpp
// ~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_CLOCK_HPP
#define HERD_CLOCK_HPP

#include <herd/config.hpp>
#include <herd/detail/async_base.hpp>

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace herd
{

class clock;

namespace detail
{

struct clock_access;

// One pending wait of a herd::timer on a virtual clock.
struct timer_node
{
  using time_point = std::chrono::steady_clock::time_point;
  time_point deadline_{};
  const void* owner_ = nullptr; // the herd::timer, for timer::cancel()
  // Called exactly once, after the clock took the node out of its queue.
  void (*fire_)(timer_node*, boost::system::error_code) noexcept = nullptr;
};

} // namespace detail

/// The time source of every timed feature in herd.
/**
 * Timeouts, retry backoff, rate limiters, circuit breakers and timed waits
 * all read the time and arm their timers through a herd::clock. Two clocks
 * exist: herd::system_clock(), the real `std::chrono::steady_clock` whose
 * timers are Asio's `steady_timer`s, and herd::testing::manual_clock, a
 * virtual clock that moves only when a test advances it.
 *
 * @par Which clock a feature uses
 * The clock is a service of the execution context: herd::clock_of(ex)
 * returns the clock installed on @c ex's context with herd::use_clock(),
 * the system clock if none was. `async_executor(threads, clock)` installs
 * its clock on its pool. Every herd primitive finds its clock from the
 * executor it was given, every asynchronous operation from the executor
 * associated with its completion handler.
 */
class clock
{
public:
  /// The clock's time points: steady_clock's, so that both clocks mix.
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~clock() = default;

  /// The current time on this clock.
  virtual time_point now() const noexcept = 0;

  /// True for a virtual clock: its timers fire only when it is advanced.
  bool is_virtual() const noexcept { return virtual_; }

protected:
  explicit clock(bool is_virtual) noexcept : virtual_(is_virtual) {}
  clock(const clock&) = delete;
  clock& operator=(const clock&) = delete;

private:
  friend class timer;
  friend struct detail::clock_access;

  // A virtual clock's timer queue. arm() queues the node; disarm() takes it
  // back (false if it already fired); disarm_all() takes back every node of
  // one timer and fires each with operation_aborted.
  virtual void arm(detail::timer_node*) {}
  virtual bool disarm(detail::timer_node*) noexcept { return false; }
  virtual std::size_t disarm_all(const void*) noexcept { return 0; }

  bool virtual_;
};

namespace detail
{

// Arms and disarms a timer_node on a clock, for herd's own blocking waits
// (detail/multi_wait.hpp), which wait on a virtual clock without a timer.
struct clock_access
{
  static void arm(herd::clock& c, timer_node* n) { c.arm(n); }
  static bool disarm(herd::clock& c, timer_node* n) noexcept { return c.disarm(n); }
};

class steady_clock_source final : public clock
{
public:
  steady_clock_source() noexcept : clock(false) {}
  time_point now() const noexcept override { return std::chrono::steady_clock::now(); }
};

// The clock installed on an execution context.
class clock_service : public net::execution_context::service
{
public:
  static inline net::execution_context::id id;

  explicit clock_service(net::execution_context& ctx);

  herd::clock& get() const noexcept { return *clock_.load(std::memory_order_acquire); }
  void set(herd::clock& c) noexcept { clock_.store(&c, std::memory_order_release); }

private:
  void shutdown() override {}

  std::atomic<herd::clock*> clock_;
};

} // namespace detail

/// The real clock: `std::chrono::steady_clock`.
inline clock& system_clock() noexcept
{
  static detail::steady_clock_source c;
  return c;
}

inline detail::clock_service::clock_service(net::execution_context& ctx)
    : net::execution_context::service(ctx), clock_(&system_clock())
{
}

/// Installs @c c as the clock of every herd feature running on @c ctx.
/**
 * @c c must outlive every herd object and operation that uses @c ctx.
 * Install it before starting timed work: a timer reads its clock when it is
 * constructed.
 */
inline void use_clock(net::execution_context& ctx, clock& c) { net::use_service<detail::clock_service>(ctx).set(c); }

namespace detail
{

// tp + d, or the farthest time point if that would overflow.
inline std::chrono::steady_clock::time_point saturating_add(std::chrono::steady_clock::time_point tp, duration d)
{
  using tp_t = std::chrono::steady_clock::time_point;
  if (d > duration::zero() && tp > tp_t::max() - d)
    return tp_t::max();
  if (d < duration::zero() && tp < tp_t::min() - d)
    return tp_t::min();
  return tp + d;
}

} // namespace detail

/// The clock installed on @c ex's execution context (the system clock by default).
/** @throws std::invalid_argument naming @c ex if it is an empty executor. */
template <class Executor>
clock& clock_of(const Executor& ex)
{
  if constexpr (std::is_constructible_v<bool, const Executor&>)
    if (!static_cast<bool>(ex))
      throw std::invalid_argument("herd::clock_of: ex must not be empty");
  net::execution_context& ctx = net::query(ex, net::execution::context);
  return net::use_service<detail::clock_service>(ctx).get();
}

/// A waitable timer on a herd::clock.
/**
 * The interface of `net::steady_timer`, for either clock: on the system
 * clock it is a steady_timer; on a virtual clock its waits complete when
 * the clock is advanced past their expiry.
 *
 * @par Thread Safety
 * @e Distinct @e objects: Safe.@n
 * @e Shared @e objects: Unsafe, as for Asio's timers.
 */
class timer
{
public:
  using executor_type = net::any_io_executor;
  using time_point = std::chrono::steady_clock::time_point;

  /// A timer on the clock of @c ex's context.
  /** @throws std::invalid_argument naming @c ex if it is empty. */
  explicit timer(const executor_type& ex) : timer(ex, clock_of(ex)) {}

  /// A timer on the clock @c c.
  /** @throws std::invalid_argument naming @c ex if it is empty. */
  timer(const executor_type& ex, herd::clock& c) : ex_(ex), clock_(&c)
  {
    if (!ex_)
      throw std::invalid_argument("herd::timer: ex must not be empty");
    if (!c.is_virtual())
      real_.emplace(ex);
  }

  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;

  /// Cancels the pending waits, as a steady_timer's destructor does.
  ~timer() { cancel(); }

  executor_type get_executor() const { return ex_; }
  herd::clock& get_clock() const noexcept { return *clock_; }
  time_point expiry() const noexcept { return expiry_; }

  /// Sets the expiry; pending waits are cancelled (operation_aborted).
  void expires_at(time_point tp)
  {
    expiry_ = tp;
    if (real_)
      real_->expires_at(tp);
    else
      clock_->disarm_all(this);
  }

  /// Sets the expiry relative to the clock's now(); cancels pending waits.
  /** A @c d too large to add to now() (`duration::max()`) means "never". */
  void expires_after(duration d) { expires_at(detail::saturating_add(clock_->now(), d)); }

  /// Completes every pending wait with operation_aborted. Returns how many.
  std::size_t cancel()
  {
    if (real_)
      return real_->cancel();
    return clock_->disarm_all(this);
  }

  /// Waits until the expiry.
  /**
   * @par Completion Signature
   * @code void(boost::system::error_code) @endcode
   * Success when the expiry was reached; `net::error::operation_aborted`
   * when cancel(), an expiry change, the destructor or the cancellation
   * slot ended the wait first. The handler runs on its associated executor
   * (the timer's by default), never inside this call.
   *
   * @par Per-Operation Cancellation
   * Terminal, partial and total cancellation.
   */
  template <class CompletionToken = net::deferred_t>
  auto async_wait(CompletionToken&& token = CompletionToken())
  {
    return net::async_initiate<CompletionToken, void(boost::system::error_code)>(initiate_wait{this}, token);
  }

private:
  template <class Handler>
  struct virtual_wait : detail::timer_node, detail::async_base<Handler>
  {
    template <class H>
    virtual_wait(H&& h, const executor_type& ex) : detail::async_base<Handler>(std::forward<H>(h), ex)
    {
      this->fire_ = &fire;
    }

    // The wait stays allocated until the upcall (its slot filter may run
    // until then, and finds it disarmed), which frees it first.
    static void fire(detail::timer_node* n, boost::system::error_code ec) noexcept
    {
      auto* self = static_cast<virtual_wait*>(n);
      virtual_wait::complete_owned_with(self, ec);
    }
  };

  struct cancel_virtual_wait
  {
    herd::clock* clock_;
    detail::timer_node* node_;
    void operator()(net::cancellation_type type)
    {
      if ((type & (net::cancellation_type::terminal | net::cancellation_type::partial |
                   net::cancellation_type::total)) != net::cancellation_type::none &&
          clock_->disarm(node_))
        node_->fire_(node_, net::error::operation_aborted);
    }
  };

  struct initiate_wait
  {
    using executor_type = timer::executor_type;
    executor_type get_executor() const noexcept { return self_->ex_; }
    timer* self_;
    template <class Handler>
    void operator()(Handler&& handler) const
    {
      if (self_->real_)
      {
        self_->real_->async_wait(std::forward<Handler>(handler));
        return;
      }
      using op_type = virtual_wait<std::decay_t<Handler>>;
      op_type* op = detail::new_op<op_type>(std::forward<Handler>(handler), self_->ex_);
      op->deadline_ = self_->expiry_;
      op->owner_ = self_;
      op->install_cancellation(cancel_virtual_wait{self_->clock_, op});
      self_->clock_->arm(op);
    }
  };

  executor_type ex_;
  herd::clock* clock_;
  time_point expiry_{};
  std::optional<net::steady_timer> real_;
};

} // namespace herd

#endif // HERD_CLOCK_HPP

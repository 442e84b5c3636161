//
// herd/sync/semaphore.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_SYNC_SEMAPHORE_HPP
#define HERD_SYNC_SEMAPHORE_HPP

#include <herd/config.hpp>
#include <herd/detail/sync_core.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace herd
{

/// A counting semaphore whose waits are Asio asynchronous operations.
/**
 * Waiters are served strictly first in, first out: while anyone waits, a
 * released permit goes to the oldest waiter and try_acquire() fails, so no
 * late arrival overtakes a waiter.
 *
 * A wait that is cancelled (through its cancellation slot) or times out is
 * taken out of the queue as if it had never waited: it holds no permit and
 * delays no one.
 *
 * Destroying the semaphore completes the waits still queued with
 * `net::error::operation_aborted`; permits still held must not outlive it.
 *
 * @par Thread Safety
 * @e Distinct @e objects: Safe.@n
 * @e Shared @e objects: Safe.
 */
namespace detail
{
class semaphore_ref;
}

class semaphore : protected detail::sync_core
{
  friend class detail::semaphore_ref;

public:
  using executor_type = net::any_io_executor;

  /// No upper bound on the count.
  static constexpr std::size_t unbounded = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max() / 4);

  /// Owns one permit; gives it back when destroyed (or on release()).
  class permit
  {
  public:
    permit() noexcept = default;
    explicit permit(semaphore* s) noexcept : s_(s) {}
    permit(permit&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    permit& operator=(permit&& o) noexcept
    {
      if (this != &o)
      {
        release();
        s_ = std::exchange(o.s_, nullptr);
      }
      return *this;
    }
    ~permit() { release(); }

    /// True while this holds a permit.
    explicit operator bool() const noexcept { return s_ != nullptr; }

    /// Gives the permit back now.
    void release() noexcept
    {
      if (semaphore* s = std::exchange(s_, nullptr))
        s->release_noexcept(1);
    }

  private:
    semaphore* s_ = nullptr;
  };

  /// A semaphore with @c initial permits and at most @c max.
  /**
   * @throws std::invalid_argument naming @c initial if it exceeds @c max,
   * or naming @c ex if it is empty.
   */
  semaphore(executor_type ex, std::size_t initial, std::size_t max = unbounded)
      : detail::sync_core(std::move(ex), "herd::semaphore"), max_(static_cast<std::int64_t>(max))
  {
    if (max > unbounded)
      throw std::invalid_argument("herd::semaphore: max exceeds semaphore::unbounded");
    if (initial > max)
      throw std::invalid_argument("herd::semaphore: initial (" + std::to_string(initial) + ") exceeds max (" +
                                  std::to_string(max) + ")");
    word_.store(static_cast<std::int64_t>(initial) * 2, std::memory_order_relaxed);
  }

  /// Completes every queued wait with operation_aborted.
  /** Virtual: a semaphore has virtual members and capacity_limiter derives
      from it, so deleting either through a `semaphore*` is well defined. */
  virtual ~semaphore() { abandon_all(net::error::operation_aborted); }

  using detail::sync_core::get_executor;

  /// Takes a permit if one is free and nobody is waiting.
  bool try_acquire() noexcept
  {
    std::int64_t w = word_.load(std::memory_order_relaxed);
    while ((w & waiters_bit) == 0 && w >= 2)
      if (word_.compare_exchange_weak(w, w - 2, std::memory_order_acquire, std::memory_order_relaxed))
        return true;
    return false;
  }

  /// Returns @c n permits, handing them to waiters first, oldest first.
  /**
   * @throws std::logic_error if the count would exceed max(): more permits
   * returned than were taken. Nothing changes then.
   */
  void release(std::size_t n = 1)
  {
    if (n > max() || !release_impl(static_cast<std::int64_t>(n)))
      throw std::logic_error("herd::semaphore::release: releasing " + std::to_string(n) +
                             " would exceed the maximum count " + std::to_string(max_.load()));
  }

  /// Permits free now (0 while anyone waits).
  std::size_t available() const noexcept
  {
    const std::int64_t c = word_.load(std::memory_order_acquire) >> 1;
    return c > 0 ? static_cast<std::size_t>(c) : 0;
  }

  /// Waits queued now.
  std::size_t waiting() const noexcept
  {
    std::lock_guard lock(mutex_);
    return list_.size();
  }

  /// The maximum count.
  std::size_t max() const noexcept { return static_cast<std::size_t>(max_.load(std::memory_order_acquire)); }

  /// Waits for a permit.
  /**
   * @par Completion Signature
   * @code void(boost::system::error_code) @endcode
   * Success: the caller holds a permit and must release() it.
   * `net::error::operation_aborted`: cancelled or the semaphore was
   * destroyed; no permit is held.
   *
   * The handler runs on its associated executor (by default the
   * semaphore's), never inside this call.
   *
   * @par Per-Operation Cancellation
   * Terminal, partial and total: the wait leaves the queue and completes
   * with operation_aborted, unless a permit was already granted.
   */
  template <class CompletionToken = net::deferred_t>
  auto async_acquire(CompletionToken&& token = CompletionToken())
  {
    return initiate_wait<detail::deliver_ec, void(boost::system::error_code)>(token, [this](detail::sync_waiter* w)
                                                                              { return try_now(w); });
  }

  /// Waits at most @c d (on the executor's clock) for a permit.
  /**
   * @par Completion Signature
   * @code void(boost::system::error_code, bool) @endcode
   * `(success, true)`: a permit is held. `(success, false)`: timed out,
   * no permit is held and the queue is as if this never waited.
   * `(operation_aborted, false)`: cancelled.
   *
   * @par Per-Operation Cancellation
   * Terminal, partial and total.
   */
  template <class CompletionToken = net::deferred_t>
  auto async_acquire_for(duration d, CompletionToken&& token = CompletionToken())
  {
    return initiate_timed_wait<detail::deliver_bool, void(boost::system::error_code, bool)>(
        d, token, [this](detail::sync_waiter* w) { return try_now(w); });
  }

  /// Waits for a permit and hands it over as an RAII permit.
  /**
   * @par Completion Signature
   * @code void(boost::system::error_code, herd::semaphore::permit) @endcode
   * The permit is empty when the error code is set.
   *
   * @par Per-Operation Cancellation
   * Terminal, partial and total.
   */
  template <class CompletionToken = net::deferred_t>
  auto async_acquire_permit(CompletionToken&& token = CompletionToken())
  {
    return initiate_wait<deliver_permit, void(boost::system::error_code, permit)>(token, [this](detail::sync_waiter* w)
                                                                                  { return try_now(w); });
  }

protected:
  // The count may go negative (capacity_limiter::set_total lowering the
  // total below what is borrowed); the low bit says "waiters queued". While
  // the bit is set, the word changes only under the lock.
  static constexpr std::int64_t waiters_bit = 1;

  struct deliver_permit
  {
    template <class Handler>
    static void call(Handler& h, boost::system::error_code ec, std::size_t, detail::sync_core* prim)
    {
      std::move(h)(ec, ec ? permit() : permit(static_cast<semaphore*>(prim)));
    }
  };

  // Queues the waiter unless a permit can be taken at once.
  // Takes the wait's result at once, or queues w (see detail::start_wait).
  std::optional<std::size_t> try_now(detail::sync_waiter* w)
  {
    if (try_acquire())
      return 1;
    std::lock_guard lock(mutex_);
    std::int64_t v = word_.load(std::memory_order_relaxed);
    for (;;)
    {
      if ((v & waiters_bit) == 0 && v >= 2)
      {
        if (word_.compare_exchange_weak(v, v - 2, std::memory_order_acquire, std::memory_order_relaxed))
          return 1;
        continue;
      }
      if (v & waiters_bit)
        break;
      if (word_.compare_exchange_weak(v, v | waiters_bit, std::memory_order_acq_rel, std::memory_order_relaxed))
        break;
    }
    list_.push_back(w);
    return std::nullopt;
  }

  void release_noexcept(std::int64_t n) noexcept { release_impl(n); }

  bool release_impl(std::int64_t n)
  {
    std::int64_t w = word_.load(std::memory_order_relaxed);
    while ((w & waiters_bit) == 0)
    {
      if ((w >> 1) + n > max_.load(std::memory_order_relaxed))
        return false;
      if (word_.compare_exchange_weak(w, w + 2 * n, std::memory_order_release, std::memory_order_relaxed))
        return true;
    }
    detail::sync_waiter* granted = nullptr;
    {
      std::lock_guard lock(mutex_);
      w = word_.load(std::memory_order_relaxed);
      if ((w >> 1) + n > max_.load(std::memory_order_relaxed))
        return false;
      add_locked(n);
      granted = grant_locked();
    }
    detail::complete_chain(granted, {}, 1);
    return true;
  }

  // Adds n to the count (under the lock; fast paths may still race while
  // no waiter is queued, hence the CAS).
  void add_locked(std::int64_t n) noexcept
  {
    std::int64_t w = word_.load(std::memory_order_relaxed);
    while (!word_.compare_exchange_weak(w, w + 2 * n, std::memory_order_acq_rel, std::memory_order_relaxed))
    {
    }
  }

  // Hands free permits to the oldest waiters; returns them as a chain to
  // complete outside the lock.
  detail::sync_waiter* grant_locked() noexcept
  {
    // An empty queue means a clear waiters bit: fast paths may be changing
    // the word, and there is no one to grant to.
    if (list_.empty())
      return nullptr;
    detail::sync_waiter* head = nullptr;
    detail::sync_waiter** tail = &head;
    std::int64_t w = word_.load(std::memory_order_relaxed);
    while (!list_.empty() && (w >> 1) > 0)
    {
      detail::sync_waiter* x = list_.pop_front();
      *tail = x;
      tail = &x->next_;
      w -= 2;
    }
    if (list_.empty())
      w &= ~waiters_bit;
    word_.store(w, std::memory_order_release);
    return head;
  }

  void on_withdrawn() noexcept override
  {
    if (list_.empty())
      word_.fetch_and(~waiters_bit, std::memory_order_acq_rel);
  }

  std::atomic<std::int64_t> word_{0};
  std::atomic<std::int64_t> max_;
};

namespace detail
{

// A semaphore reached through its anchor, for herd objects that may outlive
// it (a task given it as submit_options::limiter): after the semaphore is
// destroyed, release() does nothing and async_acquire completes with
// operation_aborted.
class semaphore_ref
{
public:
  explicit semaphore_ref(semaphore* s) : anchor_(s ? s->anchor() : nullptr) {}

  explicit operator bool() const noexcept { return anchor_ != nullptr; }

  void release() noexcept
  {
    anchor_->use([](sync_core& c) { static_cast<semaphore&>(c).release_noexcept(1); });
  }

  template <class Handler>
  void async_acquire(Handler&& h)
  {
    bool started = false;
    anchor_->use(
        [&](sync_core& c)
        {
          static_cast<semaphore&>(c).async_acquire(std::move(h));
          started = true;
        });
    if (!started)
    {
      auto ex = net::get_associated_executor(h);
      net::post(ex, [h = std::move(h)]() mutable { std::move(h)(net::error::operation_aborted); });
    }
  }

private:
  std::shared_ptr<sync_anchor> anchor_;
};

} // namespace detail
} // namespace herd

#endif // HERD_SYNC_SEMAPHORE_HPP

//
// herd/detail/shared_state.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_SHARED_STATE_HPP
#define HERD_DETAIL_SHARED_STATE_HPP

#include <herd/config.hpp>
#include <herd/detail/futex.hpp>
#include <herd/error.hpp>
#include <herd/task_state.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>

namespace herd {

class clock;


namespace detail {

// A waiter parked on a shared state. complete_ is called exactly once, after
// the state became terminal, unless remove_waiter() took the node out first.
// It may destroy the node.
struct waiter_node
{
  waiter_node* next_ = nullptr;
  waiter_node* prev_ = nullptr;
  void (*complete_)(waiter_node*) noexcept = nullptr;
  bool linked_ = false; // in a waiter list; guarded by the state's lock
};

// Identifies the executor (if any) that runs a state's task, so that a
// blocking wait on one of that executor's own threads can refuse to deadlock.
class executor_identity
{
public:
  virtual ~executor_identity() = default;

  // True when the calling thread is one the executor would need to finish a
  // task that has not finished.
  virtual bool on_own_thread() const noexcept = 0;

  // The number of threads the executor runs on; 0 when unknown (adopted).
  virtual std::size_t thread_count() const noexcept = 0;

  // The clock of the executor's context (herd::clock_of), which the timeout
  // of a blocking wait on its tasks runs on; nullptr when unknown.
  virtual herd::clock* clock_of_tasks() const { return nullptr; }
};

class state_base
{
public:
  // Layout of status_: the task_state in the low bits, then flags.
  static constexpr std::uint32_t state_mask = 0x7;
  static constexpr std::uint32_t lock_bit = 0x8;     // guards the waiter list
  static constexpr std::uint32_t claimed_bit = 0x10; // someone is settling the outcome
  static constexpr std::uint32_t waiters_bit = 0x20; // the waiter list is not empty
  static constexpr std::uint32_t cancel_bit = 0x40;  // cancellation was requested
  static constexpr std::uint32_t sleeper_bit = 0x80; // a thread is parked on status_

  state_base() noexcept = default;
  state_base(const state_base&) = delete;
  state_base& operator=(const state_base&) = delete;
  virtual ~state_base() = default;

  static constexpr bool is_terminal(std::uint32_t s) noexcept
  {
    return (s & state_mask) >= static_cast<std::uint32_t>(task_state::completed);
  }

  task_state state() const noexcept
  {
    return static_cast<task_state>(status_.load(std::memory_order_acquire) & state_mask);
  }

  bool done() const noexcept { return is_terminal(status_.load(std::memory_order_acquire)); }

  bool cancel_requested() const noexcept
  {
    return (status_.load(std::memory_order_acquire) & cancel_bit) != 0;
  }

  // pending -> running. False when the task was cancelled while queued.
  bool try_start() noexcept
  {
    std::uint32_t s = status_.load(std::memory_order_relaxed);
    for (;;)
    {
      if ((s & state_mask) != static_cast<std::uint32_t>(task_state::pending) || (s & claimed_bit))
        return false;
      std::uint32_t desired = (s & ~state_mask) | static_cast<std::uint32_t>(task_state::running);
      if (status_.compare_exchange_weak(s, desired, std::memory_order_acq_rel, std::memory_order_relaxed))
        return true;
    }
  }

  // Requests cancellation. Returns true if the request can still change the
  // outcome: a pending task becomes cancelled at once (it will never run); a
  // running task is asked to stop if it can observe the request.
  bool cancel(std::exception_ptr reason = nullptr) noexcept
  {
    std::uint32_t s = status_.load(std::memory_order_acquire);
    for (;;)
    {
      if (is_terminal(s) || (s & claimed_bit))
        return false;
      if ((s & state_mask) == static_cast<std::uint32_t>(task_state::pending))
      {
        if (status_.compare_exchange_weak(s, s | claimed_bit | cancel_bit, std::memory_order_acq_rel,
                                          std::memory_order_acquire))
        {
          error_ = reason ? std::move(reason) : cancelled_exception();
          finish(task_state::cancelled);
          on_cancelled_pending();
          return true;
        }
        continue;
      }
      // Running: record the request, then let the task decide.
      if (status_.compare_exchange_weak(s, s | cancel_bit, std::memory_order_acq_rel, std::memory_order_acquire))
        return request_stop();
    }
  }

  // Parks n until the state is terminal. False (n not added) if it already is.
  bool add_waiter(waiter_node* n) noexcept
  {
    std::uint32_t s = lock();
    if (is_terminal(s))
    {
      unlock();
      return false;
    }
    n->linked_ = true;
    n->next_ = nullptr;
    n->prev_ = tail_;
    if (tail_)
      tail_->next_ = n;
    else
      head_ = n;
    tail_ = n;
    status_.fetch_or(waiters_bit, std::memory_order_relaxed);
    unlock();
    return true;
  }

  // Takes n out before completion. False if completion has already claimed it
  // (then complete_ has run or is about to run).
  bool remove_waiter(waiter_node* n) noexcept
  {
    std::uint32_t s = lock();
    if (is_terminal(s) || !n->linked_)
    {
      unlock();
      return false;
    }
    n->linked_ = false;
    if (n->prev_)
      n->prev_->next_ = n->next_;
    else
      head_ = n->next_;
    if (n->next_)
      n->next_->prev_ = n->prev_;
    else
      tail_ = n->prev_;
    n->next_ = n->prev_ = nullptr;
    if (!head_)
      status_.fetch_and(~waiters_bit, std::memory_order_relaxed);
    unlock();
    return true;
  }

  // Blocks until terminal. Throws std::logic_error instead of deadlocking.
  void wait(const char* call) const
  {
    if (done())
      return;
    check_deadlock(call);
    if (spin_until_done())
      return;
    const_cast<state_base*>(this)->park();
  }

  template <class Clock, class Duration>
  bool wait_until(const std::chrono::time_point<Clock, Duration>& deadline) const
  {
    if (done())
      return true;
    return const_cast<state_base*>(this)->block(
        [&](std::unique_lock<std::mutex>& lk, std::condition_variable& cv, const bool& flag)
        { return cv.wait_until(lk, deadline, [&] { return flag; }); });
  }

  // The failure of a terminal state, or null.
  const std::exception_ptr& error() const noexcept { return error_; }

  executor_identity* owner() const noexcept { return owner_; }

  void set_owner(executor_identity* owner, bool coroutine) noexcept
  {
    owner_ = owner;
    coroutine_ = coroutine;
  }

  HERD_DECL static std::exception_ptr cancelled_exception();

  // Runs the task behind this state (executor tasks only).
  virtual void run_task() noexcept {}

  // Throws std::logic_error when blocking the calling thread for this state
  // could deadlock (see async_executor). `call` names the blocking call.
  HERD_DECL void check_deadlock(const char* call) const;

  // Settles the state with e (as failed, or as cancelled); false if it was
  // already settled or being settled.
  bool set_exception(std::exception_ptr e, task_state as = task_state::failed) noexcept
  {
    if (!claim())
      return false;
    error_ = std::move(e);
    finish(as);
    return true;
  }

protected:
  // Claims the right to settle the outcome; false if it is taken or settled.
  bool claim() noexcept
  {
    std::uint32_t s = status_.load(std::memory_order_relaxed);
    for (;;)
    {
      if (is_terminal(s) || (s & claimed_bit))
        return false;
      if (status_.compare_exchange_weak(s, s | claimed_bit, std::memory_order_acquire, std::memory_order_relaxed))
        return true;
    }
  }

  // Publishes the terminal state t (after a successful claim) and completes
  // every waiter, outside the lock.
  void finish(task_state t) noexcept
  {
    const std::uint32_t ts = static_cast<std::uint32_t>(t);
    std::uint32_t s = status_.load(std::memory_order_relaxed);
    while (!(s & (lock_bit | waiters_bit)))
    {
      if (status_.compare_exchange_weak(s, (s & ~state_mask) | ts, std::memory_order_acq_rel,
                                        std::memory_order_relaxed))
      {
        if (s & sleeper_bit)
          futex_wake_all(status_);
        return;
      }
    }
    s = lock();
    waiter_node* n = head_;
    head_ = tail_ = nullptr;
    while (!status_.compare_exchange_weak(s, (s & ~(state_mask | lock_bit | waiters_bit)) | ts,
                                          std::memory_order_acq_rel, std::memory_order_relaxed))
    {
    }
    if (s & sleeper_bit)
      futex_wake_all(status_);
    while (n)
    {
      waiter_node* next = n->next_;
      n->complete_(n);
      n = next;
    }
  }

  // Hooks for task states.
  virtual bool request_stop() noexcept { return false; }
  virtual void on_cancelled_pending() noexcept {}

  std::exception_ptr error_;

private:
  struct blocking_waiter : waiter_node
  {
    std::mutex mutex_;
    std::condition_variable cv_;
    bool done_ = false;               // guarded by mutex_
    std::atomic<bool> released_{false}; // the completion's last touch of the node
  };

  // An untimed park on the status word itself (a futex). The caller's
  // future keeps this state alive, so the waiter returns as soon as it sees
  // the outcome, without waiting for the completing thread to leave its
  // wake-up call (a waiter node on the stack would have to).
  void park() noexcept
  {
    std::uint32_t s = status_.load(std::memory_order_acquire);
    while (!is_terminal(s))
    {
      if (!(s & sleeper_bit))
      {
        if (!status_.compare_exchange_weak(s, s | sleeper_bit, std::memory_order_acq_rel, std::memory_order_acquire))
          continue;
        s |= sleeper_bit;
      }
      futex_wait(status_, s);
      s = status_.load(std::memory_order_acquire);
    }
  }

  // A timed park (untimed waits use park()): a stack node with a condition
  // variable; wait_fn waits on it and returns false on timeout.
  template <class WaitFn>
  bool block(WaitFn wait_fn)
  {
    blocking_waiter w;
    w.complete_ = [](waiter_node* n) noexcept
    {
      auto* b = static_cast<blocking_waiter*>(n);
      {
        std::lock_guard<std::mutex> lk(b->mutex_);
        b->done_ = true;
      }
      // Notified after unlocking so the woken thread does not block on the
      // mutex again; released_ tells the waiter the node is free to go.
      b->cv_.notify_one();
      b->released_.store(true, std::memory_order_release);
    };
    struct wait_for_release
    {
      blocking_waiter& w;
      bool armed = true;
      ~wait_for_release()
      {
        if (armed)
          while (!w.released_.load(std::memory_order_acquire))
            std::this_thread::yield();
      }
    };
    if (!add_waiter(&w))
      return true;
    // Declared after w: runs first on every exit, while w is still alive.
    wait_for_release release{w};
    std::unique_lock<std::mutex> lk(w.mutex_);
    if (wait_fn(lk, w.cv_, w.done_))
      return true;
    lk.unlock();
    if (remove_waiter(&w))
    {
      release.armed = false; // taken back out: no completion will touch it
      return false;
    }
    // Completion took the node: wait for it to be done with it.
    lk.lock();
    w.cv_.wait(lk, [&] { return w.done_; });
    return true;
  }

  // A bounded spin before parking: a result that is microseconds away is
  // taken without a futex sleep and wake-up. Gives up after a fixed budget.
  bool spin_until_done() const noexcept
  {
    for (int i = 0; i < 64; ++i)
    {
      if (done())
        return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    return done();
  }

  std::uint32_t lock() noexcept
  {
    std::uint32_t s = status_.load(std::memory_order_relaxed);
    for (unsigned spins = 0;; ++spins)
    {
      if (!(s & lock_bit) &&
          status_.compare_exchange_weak(s, s | lock_bit, std::memory_order_acquire, std::memory_order_relaxed))
        return s | lock_bit;
      if (s & lock_bit)
      {
        if (spins > 64)
          std::this_thread::yield();
        s = status_.load(std::memory_order_relaxed);
      }
    }
  }

  void unlock() noexcept { status_.fetch_and(~lock_bit, std::memory_order_release); }

  std::atomic<std::uint32_t> status_{static_cast<std::uint32_t>(task_state::pending)};
  bool coroutine_ = false;
  waiter_node* head_ = nullptr;
  waiter_node* tail_ = nullptr;
  executor_identity* owner_ = nullptr;
};

// Holds the outcome of type T.
template <class T>
class shared_state : public state_base
{
public:
  shared_state() noexcept {}
  ~shared_state() override
  {
    if (state() == task_state::completed)
      value_.~T();
  }

  template <class... Args>
  bool set_value(Args&&... args)
  {
    if (!claim())
      return false;
    try
    {
      ::new (static_cast<void*>(std::addressof(value_))) T(std::forward<Args>(args)...);
    }
    catch (...)
    {
      error_ = std::current_exception();
      finish(task_state::failed);
      return true;
    }
    finish(task_state::completed);
    return true;
  }

  // Valid only once state() == completed.
  const T& value() const noexcept { return value_; }

private:
  union
  {
    T value_;
  };
};

template <>
class shared_state<void> : public state_base
{
public:
  bool set_value()
  {
    if (!claim())
      return false;
    finish(task_state::completed);
    return true;
  }
};

// Classifies a task's exception: cancellation errors make it "cancelled".
HERD_DECL task_state classify_failure(const std::exception_ptr& e, bool cancel_requested) noexcept;

} // namespace detail
} // namespace herd

#if defined(HERD_HEADER_ONLY)
#include <herd/impl/shared_state.ipp>
#endif

#endif // HERD_DETAIL_SHARED_STATE_HPP

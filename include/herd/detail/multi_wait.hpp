//
// herd/detail/multi_wait.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_MULTI_WAIT_HPP
#define HERD_DETAIL_MULTI_WAIT_HPP

#include <herd/clock.hpp>
#include <herd/detail/futex.hpp>
#include <herd/detail/shared_state.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

namespace herd {
namespace detail {

// The deadline of a blocking wait: a time on a herd::clock.
struct blocking_deadline
{
  herd::clock* clock = nullptr;
  herd::clock::time_point at{};
};

// Parks one waiting thread on many states at once and records the order in
// which they settle. Push-based: each state's completion wakes the waiter.
//
// The bookkeeping lives in a block shared by the waiter and every node still
// parked on a state: whoever lets go last frees it. So the waiter returns the
// moment it sees enough completions, without waiting for a completing thread
// to leave its wake-up call, and leaving early (a timeout, first_completed)
// never blocks either.
//
// A timed wait on the real clock waits on a condition variable until the
// deadline; on a virtual clock (herd::testing::manual_clock) it arms a
// timer node on the clock instead, whose firing (an advance() past the
// deadline, on the advancing thread) wakes the waiter. The node lives in the
// block and holds a reference to it until it fired or was taken back.
class multi_wait
{
public:
  explicit multi_wait(std::vector<state_base*> states) : b_(new block(std::move(states)))
  {
    const std::size_t n = b_->states_.size();
    // One reference per node that may fire, plus the waiter's; nodes that
    // find their state already settled give theirs back below.
    b_->refs_.store(static_cast<std::uint32_t>(n + 1), std::memory_order_relaxed);
    std::uint32_t unregistered = 0;
    for (std::size_t i = 0; i < n; ++i)
    {
      node& nd = b_->nodes_[i];
      nd.owner_ = b_;
      nd.index_ = i;
      nd.complete_ = &on_settled;
      nd.registered_ = b_->states_[i]->add_waiter(&nd);
      if (!nd.registered_)
      {
        b_->settled(i);
        ++unregistered;
      }
    }
    b_->release(unregistered);
  }

  multi_wait(const multi_wait&) = delete;
  multi_wait& operator=(const multi_wait&) = delete;

  ~multi_wait()
  {
    // A node taken back out will never fire: its reference comes back now.
    // One that cannot be taken out is being completed; it lets go itself.
    std::uint32_t removed = 0;
    for (std::size_t i = 0; i < b_->states_.size(); ++i)
      if (b_->nodes_[i].registered_ && b_->states_[i]->remove_waiter(&b_->nodes_[i]))
        ++removed;
    if (b_->deadline_clock_ && clock_access::disarm(*b_->deadline_clock_, &b_->deadline_node_))
      ++removed; // it will not fire: its reference comes back too
    b_->release(removed + 1);
  }

  std::size_t size() const noexcept { return b_->states_.size(); }

  // Refuses (std::logic_error naming `call`) to block without a deadline
  // where one of the unfinished inputs could deadlock the caller.
  void check_deadlock(const char* call) const
  {
    for (state_base* s : b_->states_)
      if (!s->done())
        s->check_deadlock(call);
  }
  state_base& state(std::size_t i) const noexcept { return *b_->states_[i]; }

  // Waits until more than `seen` inputs have settled or the deadline passes.
  // Returns the number settled so far.
  std::size_t wait_more(std::size_t seen, const std::optional<blocking_deadline>& deadline)
  {
    block& b = *b_;
    if (!deadline)
    {
      // Untimed: park on the count itself (a futex), the fastest wake-up.
      // sleeping_ and count_ form a Dekker pair (seq_cst on both sides): the
      // notifier either sees the sleeper or the sleeper sees the new count.
      std::uint32_t c = b.count_.load(std::memory_order_seq_cst);
      while (c <= seen)
      {
        b.sleeping_.store(1, std::memory_order_seq_cst);
        c = b.count_.load(std::memory_order_seq_cst);
        if (c <= seen)
          futex_wait(b.count_, c);
        b.sleeping_.store(0, std::memory_order_relaxed);
        c = b.count_.load(std::memory_order_seq_cst);
      }
      return c;
    }
    if (!deadline->clock->is_virtual())
    {
      std::unique_lock<std::mutex> lk(b.mutex_);
      ++b.timed_waiters_;
      b.cv_.wait_until(lk, deadline->at, [&] { return b.order_.size() > seen; });
      --b.timed_waiters_;
      return b.order_.size();
    }
    if (!b.deadline_clock_)
    {
      // Armed once, for every later wait_more of this waiter (the deadline
      // does not move). arm() fires at once, on this thread, if the
      // deadline has passed: no lock may be held here.
      b.deadline_node_.deadline_ = deadline->at;
      b.deadline_node_.owner_ = &b;
      b.deadline_node_.fire_ = &on_deadline;
      b.deadline_clock_ = deadline->clock;
      b.refs_.fetch_add(1, std::memory_order_relaxed);
      clock_access::arm(*deadline->clock, &b.deadline_node_);
    }
    std::unique_lock<std::mutex> lk(b.mutex_);
    ++b.timed_waiters_;
    b.cv_.wait(lk, [&] { return b.order_.size() > seen || b.deadline_passed_; });
    --b.timed_waiters_;
    return b.order_.size();
  }

  // The index of the n-th input to settle (n < settled count).
  std::size_t settled_at(std::size_t n)
  {
    std::lock_guard<std::mutex> lk(b_->mutex_);
    return b_->order_[n];
  }

  std::size_t settled_count() noexcept { return b_->count_.load(std::memory_order_seq_cst); }

private:
  struct block;

  struct node : waiter_node
  {
    block* owner_ = nullptr;
    std::size_t index_ = 0;
    bool registered_ = false; // written before any completion can reach the node
  };

  struct block
  {
    explicit block(std::vector<state_base*> states) : states_(std::move(states)), nodes_(states_.size())
    {
      order_.reserve(states_.size());
    }

    void settled(std::size_t i) noexcept
    {
      bool timed;
      {
        std::lock_guard<std::mutex> lk(mutex_);
        order_.push_back(i);
        count_.store(static_cast<std::uint32_t>(order_.size()), std::memory_order_seq_cst);
        timed = timed_waiters_ != 0;
      }
      if (sleeping_.load(std::memory_order_seq_cst))
        futex_wake_all(count_);
      if (timed)
        cv_.notify_all();
    }

    void release(std::uint32_t n) noexcept
    {
      if (n && refs_.fetch_sub(n, std::memory_order_acq_rel) == n)
        delete this;
    }

    std::vector<state_base*> states_;
    std::vector<node> nodes_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::size_t> order_;           // guarded by mutex_
    std::size_t timed_waiters_ = 0;            // guarded by mutex_
    std::atomic<std::uint32_t> count_{0};      // order_.size()
    std::atomic<std::uint32_t> sleeping_{0};   // an untimed waiter may be parked on count_
    std::atomic<std::uint32_t> refs_{1};
    // The virtual-clock deadline (see wait_more): deadline_clock_ is set
    // once by the waiter before arming; deadline_passed_ by the firing.
    timer_node deadline_node_;
    herd::clock* deadline_clock_ = nullptr;
    bool deadline_passed_ = false; // guarded by mutex_
  };

  static void on_deadline(timer_node* n, boost::system::error_code) noexcept
  {
    // Fired (or, with operation_aborted, failed by a dying clock): either
    // way the wait is over.
    block* b = static_cast<block*>(const_cast<void*>(n->owner_));
    {
      std::lock_guard<std::mutex> lk(b->mutex_);
      b->deadline_passed_ = true;
    }
    b->cv_.notify_all();
    b->release(1); // the node's last touch of the block
  }

  static void on_settled(waiter_node* n) noexcept
  {
    auto* nd = static_cast<node*>(n);
    block* b = nd->owner_;
    b->settled(nd->index_);
    b->release(1); // the node's last touch of the block
  }

  block* b_;
};

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_MULTI_WAIT_HPP

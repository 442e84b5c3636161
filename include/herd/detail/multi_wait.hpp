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

#include <herd/detail/shared_state.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace herd {
namespace detail {

// Parks one waiting thread on many states at once and records the order in
// which they settle. Push-based: each state's completion wakes the waiter.
// The destructor takes every node back out, waiting for a completion that
// is already delivering to one of them.
class multi_wait
{
public:
  explicit multi_wait(std::vector<state_base*> states) : states_(std::move(states)), nodes_(states_.size())
  {
    order_.reserve(states_.size());
    for (std::size_t i = 0; i < states_.size(); ++i)
    {
      nodes_[i].owner_ = this;
      nodes_[i].index_ = i;
      nodes_[i].complete_ = &on_settled;
    }
    for (std::size_t i = 0; i < states_.size(); ++i)
    {
      nodes_[i].registered_ = states_[i]->add_waiter(&nodes_[i]);
      if (!nodes_[i].registered_)
        settled(i, nullptr);
    }
  }

  multi_wait(const multi_wait&) = delete;
  multi_wait& operator=(const multi_wait&) = delete;

  ~multi_wait()
  {
    // A node that cannot be taken back out was detached by its state's
    // completion, which is delivering to it now: wait for that to finish.
    std::vector<std::size_t> delivering;
    for (std::size_t i = 0; i < states_.size(); ++i)
      if (nodes_[i].registered_ && !states_[i]->remove_waiter(&nodes_[i]))
        delivering.push_back(i);
    if (delivering.empty())
      return;
    std::unique_lock<std::mutex> lk(mutex_);
    cv_.wait(lk,
             [&]
             {
               for (std::size_t i : delivering)
                 if (!nodes_[i].fired_)
                   return false;
               return true;
             });
  }

  std::size_t size() const noexcept { return states_.size(); }
  state_base& state(std::size_t i) const noexcept { return *states_[i]; }

  // Waits until `ready(settled_count)` holds or the deadline passes (false).
  // `ready` runs under the lock; the order() so far is consistent with it.
  template <class Pred>
  bool wait_until(std::optional<std::chrono::steady_clock::time_point> deadline, Pred ready)
  {
    std::unique_lock<std::mutex> lk(mutex_);
    auto pred = [&] { return ready(order_.size()); };
    if (deadline)
      return cv_.wait_until(lk, *deadline, pred);
    cv_.wait(lk, pred);
    return true;
  }

  // Waits until more than `seen` inputs have settled or the deadline passes.
  // Returns the number settled so far.
  std::size_t wait_more(std::size_t seen, std::optional<std::chrono::steady_clock::time_point> deadline)
  {
    std::unique_lock<std::mutex> lk(mutex_);
    auto pred = [&] { return order_.size() > seen; };
    if (deadline)
      cv_.wait_until(lk, *deadline, pred);
    else
      cv_.wait(lk, pred);
    return order_.size();
  }

  // The index of the n-th input to settle (n < settled count).
  std::size_t settled_at(std::size_t n)
  {
    std::lock_guard<std::mutex> lk(mutex_);
    return order_[n];
  }

  std::size_t settled_count()
  {
    std::lock_guard<std::mutex> lk(mutex_);
    return order_.size();
  }

private:
  struct node : waiter_node
  {
    multi_wait* owner_ = nullptr;
    std::size_t index_ = 0;
    bool registered_ = false; // written before any completion can reach the node
    bool fired_ = false;      // guarded by mutex_
  };

  static void on_settled(waiter_node* n) noexcept
  {
    auto* nd = static_cast<node*>(n);
    nd->owner_->settled(nd->index_, nd);
  }

  void settled(std::size_t i, node* via) noexcept
  {
    // Notify under the lock: the destructor may return (and free the nodes)
    // as soon as it can take the lock and see the node fired.
    std::lock_guard<std::mutex> lk(mutex_);
    order_.push_back(i);
    if (via)
      via->fired_ = true;
    cv_.notify_all();
  }

  std::vector<state_base*> states_;
  std::vector<node> nodes_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::size_t> order_;
};

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_MULTI_WAIT_HPP

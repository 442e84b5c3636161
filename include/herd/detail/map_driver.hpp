//
// herd/detail/map_driver.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_MAP_DRIVER_HPP
#define HERD_DETAIL_MAP_DRIVER_HPP

#include <herd/config.hpp>
#include <herd/detail/shared_state.hpp>
#include <herd/future.hpp>
#include <herd/progress.hpp>
#include <herd/detail/map_run.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <tuple>
#include <vector>

namespace herd
{
namespace detail
{

template <class R, class Source, class Launch>
class map_driver final : public map_results<R>,
                         public map_run<R>,
                         public std::enable_shared_from_this<map_driver<R, Source, Launch>>
{
  HERD_DETAIL_MAP_RUN_MEMBERS;

public:
  using finish_fn = typename map_run<R>::finish_fn;

  map_driver(Source&& source, Launch launch, std::size_t limit, bool windowed, const progress_option& progress)
      : source_(std::move(source)), launch_(std::move(launch)), limit_(limit), windowed_(windowed),
        progress_option_(progress), progress_(progress_option_, source_.size_hint())
  {
  }

  // Called once, outside the lock, when nothing is in flight any more and
  // nothing more will be launched.
  void on_finish(finish_fn f) override { finish_ = std::move(f); }

  void start() override { pump(); }

  // Stops launching and cancels what is in flight (cancellation, or the
  // consumer of map_iter left the loop).
  void stop(std::exception_ptr reason) override
  {
    std::vector<future<R>> to_cancel;
    {
      std::lock_guard lk(m_);
      stop_locked(reason);
      for (auto& s : slots_)
        if (s.f.valid() && !s.done)
        {
          s.cancelled_by_us = true;
          to_cancel.push_back(s.f);
        }
    }
    for (auto& f : to_cancel)
      f.cancel();
    check_finished();
  }

  // The result of map/async_map once finished: values in input order, or
  // the first failure in input order.
  std::vector<R> take_results() override
  {
    std::lock_guard lk(m_);
    rethrow_locked();
    std::vector<R> out;
    out.reserve(slots_.size());
    for (auto& s : slots_)
      out.push_back(std::move(const_cast<R&>(future_access::mutable_state(s.f).value())));
    return out;
  }

  // map_iter: the next result in input order; empty at the end. Throws the
  // item's failure when that item is reached.
  std::optional<R> next_result() override
  {
    future<R> f;
    {
      std::unique_lock lk(m_);
      cv_.wait(lk, [&] { return (!slots_.empty() && slots_.front().done) || (slots_.empty() && finished_); });
      if (slots_.empty())
      {
        rethrow_locked();
        return std::nullopt;
      }
      f = std::move(slots_.front().f);
      slots_.pop_front();
      ++consumed_;
    }
    pump();
    shared_state<R>& s = future_access::mutable_state(f);
    if (s.state() != task_state::completed)
    {
      stop(nullptr);
      std::rethrow_exception(s.error());
    }
    return std::optional<R>(std::move(const_cast<R&>(s.value())));
  }

private:
  struct slot
  {
    future<R> f;
    bool done = false;
    bool cancelled_by_us = false;
  };

  struct node : waiter_node
  {
    std::shared_ptr<map_driver> self_;
    std::size_t index_ = 0;
    future<R> f_;
  };

  static void on_node(waiter_node* n) noexcept
  {
    std::unique_ptr<node> owned(static_cast<node*>(n));
    owned->self_->item_done(*owned);
  }

  slot& slot_at(std::size_t index) { return slots_[index - consumed_]; }

  void pump()
  {
    std::unique_lock lk(m_);
    if (pumping_)
    {
      repump_ = true;
      return;
    }
    pumping_ = true;
    do
    {
      repump_ = false;
      while (!stopped_ && !exhausted_ && in_flight_ < limit_ && (!windowed_ || slots_.size() < limit_))
      {
        std::optional<typename Source::args_type> args;
        try
        {
          args = source_.next();
        }
        catch (...)
        {
          // Reading the input failed: a failure at this position.
          exhausted_ = true;
          record_failure_locked(next_, std::current_exception());
          break;
        }
        if (!args)
        {
          exhausted_ = true;
          break;
        }
        const std::size_t index = next_++;
        ++in_flight_;
        slots_.emplace_back();
        lk.unlock();
        future<R> f;
        try
        {
          f = launch_(std::move(*args));
        }
        catch (...)
        {
          f = make_exceptional_future<R>(std::current_exception());
        }
        lk.lock();
        slot_at(index).f = f;
        lk.unlock();
        auto n = std::make_unique<node>();
        n->complete_ = &on_node;
        n->self_ = this->shared_from_this();
        n->index_ = index;
        n->f_ = f;
        node* raw = n.release();
        if (!future_access::mutable_state(f).add_waiter(raw))
          on_node(raw); // settled already; item_done sees pumping_ and asks for another round
        lk.lock();
      }
    } while (repump_);
    pumping_ = false;
    lk.unlock();
    check_finished();
  }

  void item_done(node& n)
  {
    std::vector<future<R>> to_cancel;
    std::size_t done = 0;
    {
      std::lock_guard lk(m_);
      --in_flight_;
      done = ++done_count_;
      if (n.index_ >= consumed_)
      {
        slot& s = slot_at(n.index_);
        s.done = true;
        const task_state st = future_access::mutable_state(n.f_).state();
        if (st != task_state::completed && !(st == task_state::cancelled && s.cancelled_by_us))
          if (record_failure_locked(n.index_, future_access::mutable_state(n.f_).error()))
            for (std::size_t i = n.index_ + 1; i < next_; ++i)
              if (i >= consumed_)
              {
                slot& later = slot_at(i);
                if (later.f.valid() && !later.done)
                {
                  later.cancelled_by_us = true;
                  to_cancel.push_back(later.f);
                }
              }
      }
    }
    cv_.notify_all();
    if (progress_.active())
      progress_.update(done); // no lock held: the callback may stop the map
    for (auto& f : to_cancel)
      f.cancel();
    pump();
  }

  void check_finished()
  {
    finish_fn f;
    std::size_t done = 0;
    {
      std::lock_guard lk(m_);
      if (finishing_ || finished_ || pumping_ || in_flight_ != 0 || !(exhausted_ || stopped_))
        return;
      finishing_ = true;
      done = done_count_;
    }
    // The last report comes before anyone learns that the map finished, and
    // with no lock held.
    if (progress_.active())
      progress_.finish(done);
    {
      std::lock_guard lk(m_);
      finished_ = true;
      f = std::move(finish_);
    }
    cv_.notify_all();
    if (f)
      f(*this);
  }

  Source source_;
  Launch launch_;
  std::size_t limit_;
  bool windowed_;
  progress_option progress_option_;
  progress_relay progress_;
  finish_fn finish_;

  std::deque<slot> slots_; // from index consumed_ on
  std::size_t consumed_ = 0;
  std::size_t next_ = 0;
  std::size_t in_flight_ = 0;
  std::size_t done_count_ = 0;
  bool exhausted_ = false;
  bool pumping_ = false;
  bool repump_ = false;
  bool finishing_ = false;
};

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_MAP_DRIVER_HPP

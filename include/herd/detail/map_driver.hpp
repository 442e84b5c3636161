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

// A range argument of map: an lvalue is referred to (it must outlive the
// map), an rvalue is moved in. (Not std::views::all: clang 14 cannot check
// libstdc++ 12's owning_view.)
template <class Range>
class range_holder
{
public:
  using stored = std::conditional_t<std::is_lvalue_reference_v<Range>, std::remove_reference_t<Range>*,
                                    std::remove_cvref_t<Range>>;

  explicit range_holder(Range&& r)
    : r_([&]() -> stored
         {
           if constexpr (std::is_lvalue_reference_v<Range>)
             return std::addressof(r);
           else
             return std::move(r);
         }())
  {
  }

  auto& get() noexcept
  {
    if constexpr (std::is_lvalue_reference_v<Range>)
      return *r_;
    else
      return r_;
  }
  const auto& get() const noexcept
  {
    if constexpr (std::is_lvalue_reference_v<Range>)
      return *r_;
    else
      return r_;
  }

private:
  stored r_;
};

template <class Range>
using map_element_t = std::remove_cvref_t<decltype(*std::begin(std::declval<std::remove_reference_t<Range>&>()))>;

template <class R>
concept sized_container = requires(const R& r) { std::size(r); };

// Several ranges read in step (Python's zip): ends with the shortest.
template <class... Ranges>
class zip_source
{
public:
  using args_type = std::tuple<map_element_t<Ranges>...>;

  explicit zip_source(Ranges&&... rs) : holders_(range_holder<Ranges>(std::forward<Ranges>(rs))...) {}

  // Movable until the first next(): the iterators are taken then.
  zip_source(zip_source&&) = default;
  zip_source& operator=(zip_source&&) = delete;

  // The number of items, if every range knows its size.
  std::size_t size_hint() const
  {
    if constexpr ((sized_container<std::remove_cvref_t<Ranges>> && ...))
      return std::apply([](const auto&... h) { return std::min({static_cast<std::size_t>(std::size(h.get()))...}); },
                        holders_);
    else
      return 0;
  }

  std::optional<args_type> next()
  {
    if (!its_)
      its_.emplace(std::apply([](auto&... h) { return std::make_tuple(std::begin(h.get())...); }, holders_));
    if (at_end(std::index_sequence_for<Ranges...>()))
      return std::nullopt;
    return take(std::index_sequence_for<Ranges...>());
  }

private:
  template <std::size_t... I>
  bool at_end(std::index_sequence<I...>)
  {
    return ((std::get<I>(*its_) == std::end(std::get<I>(holders_).get())) || ...);
  }

  template <std::size_t... I>
  args_type take(std::index_sequence<I...>)
  {
    args_type a(*std::get<I>(*its_)...);
    (++std::get<I>(*its_), ...);
    return a;
  }

  std::tuple<range_holder<Ranges>...> holders_;
  std::optional<std::tuple<decltype(std::begin(std::declval<range_holder<Ranges>&>().get()))...>> its_;
};

// What map and async_map see of a driver.
template <class R>
class map_run
{
public:
  using finish_fn = std::function<void(map_run&)>;
  virtual void start() = 0;
  virtual void on_finish(finish_fn f) = 0;
  virtual std::vector<R> take_results() = 0;
  virtual void stop(std::exception_ptr reason) = 0;

  // Blocks until every item has ended (map).
  void wait_finished()
  {
    std::unique_lock lk(m_);
    cv_.wait(lk, [&] { return finished_; });
  }

protected:
  ~map_run() = default;

  // Records a failure and stops launching; true if it is now the first in
  // input order.
  bool record_failure_locked(std::size_t index, std::exception_ptr e)
  {
    stopped_ = true;
    if (fail_error_ && index >= fail_index_)
      return false;
    fail_index_ = index;
    fail_error_ = std::move(e);
    return true;
  }

  // Stops launching; the reason is reported unless a failure came first.
  void stop_locked(std::exception_ptr reason)
  {
    if (!stopped_ && !fail_error_)
      stop_reason_ = reason;
    stopped_ = true;
  }

  // Throws what ended the map early, if anything did.
  void rethrow_locked() const
  {
    if (fail_error_)
      std::rethrow_exception(fail_error_);
    if (stop_reason_)
      std::rethrow_exception(stop_reason_);
  }

  std::mutex m_;
  std::condition_variable cv_;
  bool stopped_ = false;
  bool finished_ = false;
  std::size_t fail_index_ = 0;
  std::exception_ptr fail_error_;
  std::exception_ptr stop_reason_;
};

// The members a driver uses from map_run (a dependent base).
#define HERD_DETAIL_MAP_RUN_MEMBERS                                                                                   \
  using map_run<R>::m_;                                                                                               \
  using map_run<R>::cv_;                                                                                              \
  using map_run<R>::stopped_;                                                                                         \
  using map_run<R>::finished_;                                                                                        \
  using map_run<R>::fail_error_;                                                                                      \
  using map_run<R>::stop_reason_;                                                                                     \
  using map_run<R>::record_failure_locked;                                                                            \
  using map_run<R>::stop_locked;                                                                                      \
  using map_run<R>::rethrow_locked

// What map_iter's range sees of a driver.
template <class R>
class map_results
{
public:
  virtual std::optional<R> next_result() = 0;
  virtual void stop(std::exception_ptr reason) = 0;

protected:
  ~map_results() = default;
};

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

// map and async_map of a plain callable without retry or timeout: a few
// worker tasks (at most `limit`) each take the next item in input order and
// run it inline, so an item costs no task of its own. A worker yields the
// pool every 64 items by re-submitting itself. The first failure in input
// order wins; after a failure no further item starts (the ones other workers
// are running finish and are discarded).
template <class R, class Source, class Fn, class Submit>
class map_workers final : public map_run<R>, public std::enable_shared_from_this<map_workers<R, Source, Fn, Submit>>
{
  HERD_DETAIL_MAP_RUN_MEMBERS;

public:
  using finish_fn = typename map_run<R>::finish_fn;

  map_workers(Source&& source, Fn fn, std::size_t workers, const progress_option& progress, Submit submit)
    : source_(std::move(source)),
      fn_(std::move(fn)),
      workers_(workers),
      submit_(std::move(submit)),
      progress_option_(progress),
      progress_(progress_option_, source_.size_hint())
  {
  }

  void on_finish(finish_fn f) override { finish_ = std::move(f); }

  void start() override
  {
    {
      std::lock_guard lk(m_);
      active_ = workers_;
    }
    for (std::size_t i = 0; i < workers_; ++i)
      launch(true);
  }

  void stop(std::exception_ptr reason) override
  {
    std::lock_guard lk(m_);
    stop_locked(reason);
  }

  std::vector<R> take_results() override
  {
    std::lock_guard lk(m_);
    rethrow_locked();
    std::vector<R> out;
    out.reserve(results_.size());
    for (auto& r : results_)
      out.push_back(std::move(*r));
    return out;
  }

private:
  struct node : waiter_node
  {
    std::shared_ptr<map_workers> self_;
    future<void> f_;
  };

  static void on_node(waiter_node* n) noexcept
  {
    std::unique_ptr<node> owned(static_cast<node*>(n));
    shared_state<void>& s = future_access::mutable_state(owned->f_);
    // A worker that ran completes its future; one that never ran (shut down
    // while queued) takes its share of the work with it: stop the map.
    if (s.state() != task_state::completed)
      owned->self_->worker_ended(s.error());
  }

  // Starts (or continues) one worker as a task of the executor.
  void launch(bool first)
  {
    future<void> f;
    try
    {
      f = submit_([self = this->shared_from_this()] { self->work(); }, first);
    }
    catch (...)
    {
      worker_ended(std::current_exception());
      return;
    }
    auto n = std::make_unique<node>();
    n->complete_ = &on_node;
    n->self_ = this->shared_from_this();
    n->f_ = f;
    node* raw = n.release();
    if (!future_access::mutable_state(f).add_waiter(raw))
      on_node(raw);
  }

  void work()
  {
    for (int i = 0; i < 64; ++i)
    {
      std::optional<typename Source::args_type> args;
      std::size_t index = 0;
      std::optional<R>* slot = nullptr;
      {
        std::lock_guard lk(m_);
        if (stopped_ || exhausted_)
          return worker_done_locked();
        try
        {
          args = source_.next();
        }
        catch (...)
        {
          exhausted_ = true;
          record_failure_locked(next_, std::current_exception());
          return worker_done_locked();
        }
        if (!args)
        {
          exhausted_ = true;
          return worker_done_locked();
        }
        index = next_++;
        slot = &results_.emplace_back();
      }
      try
      {
        R r = std::apply(fn_, std::move(*args));
        std::size_t done = 0;
        {
          std::lock_guard lk(m_);
          *slot = std::move(r);
          done = ++done_;
        }
        if (progress_.active())
          progress_.update(done); // no lock held: the callback may stop the map
      }
      catch (...)
      {
        std::lock_guard lk(m_);
        record_failure_locked(index, std::current_exception());
      }
    }
    launch(false); // give the pool to other work, then go on
  }

  // A worker leaves (under the lock); the last one finishes the map.
  void worker_done_locked()
  {
    if (--active_ != 0)
      return;
    if (progress_.active())
    {
      // The last report, with no lock held, before anyone learns that the
      // map finished (no worker is left to change the state meanwhile).
      const std::size_t done = done_;
      m_.unlock();
      progress_.finish(done);
      m_.lock();
    }
    finished_ = true;
    cv_.notify_all();
    if (finish_)
    {
      // Run the continuation outside the lock, on this thread.
      finish_fn f = std::move(finish_);
      m_.unlock();
      f(*this);
      m_.lock();
    }
  }

  void worker_ended(std::exception_ptr e)
  {
    std::lock_guard lk(m_);
    stop_locked(e);
    worker_done_locked();
  }

  Source source_;
  Fn fn_;
  std::size_t workers_;
  Submit submit_;
  progress_option progress_option_;
  progress_relay progress_;
  finish_fn finish_;

  std::deque<std::optional<R>> results_;
  std::size_t next_ = 0;
  std::size_t done_ = 0;
  std::size_t active_ = 0;
  bool exhausted_ = false;
};

#undef HERD_DETAIL_MAP_RUN_MEMBERS

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_MAP_DRIVER_HPP

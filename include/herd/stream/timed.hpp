//
// herd/stream/timed.hpp
// ~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_STREAM_TIMED_HPP
#define HERD_STREAM_TIMED_HPP

// Operators on the stream executor's herd::clock: batch, throttle, timeout.
#include <herd/config.hpp>
#include <herd/detail/stream_adapter.hpp>
#include <herd/detail/stream_core.hpp>
#include <herd/stream/core.hpp>
#include <herd/clock.hpp>
#include <herd/error.hpp>
#include <herd/rate_limiter.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <string>
#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace herd
{
namespace detail
{

// ---------------------------------------------------------------------------
// Timed adapters. The timer and the pull race under mu_; the losing side's
// result is dropped (timeout) or kept for the next batch (batch). A pull is
// never cancelled (asio #1241: see channel_node).

template <class T>
class timeout_node final : public unary_node<timeout_node<T>, T, T>
{
public:
  timeout_node(node_ptr<T> src, duration per_item)
      : unary_node<timeout_node, T, T>(std::move(src)), per_item_(per_item), timer_(this->ex_)
  {
  }

  void on_pull()
  {
    {
      std::lock_guard lk(mu_);
      waiting_ = true;
      ++gen_;
      timer_.expires_after(per_item_);
      timer_.async_wait([self = this->shared_from_this(), gen = gen_](boost::system::error_code ec)
                        { self->on_timer(ec, gen); });
    }
    this->pull_source();
  }

  void on_item(stream_item<T> item)
  {
    {
      std::lock_guard lk(mu_);
      if (!waiting_)
        return; // timed out: the stage has failed
      waiting_ = false;
      timer_.cancel();
    }
    this->deliver(std::move(item));
  }

private:
  void on_timer(boost::system::error_code ec, std::uint64_t gen)
  {
    {
      std::lock_guard lk(mu_);
      if (ec || gen != gen_ || !waiting_)
        return;
      waiting_ = false;
    }
    this->fail(std::make_exception_ptr(timeout_error("herd::streams::timeout: no item within the per-item limit")));
  }

  duration per_item_;
  std::mutex mu_;
  herd::timer timer_;
  bool waiting_ = false;
  std::uint64_t gen_ = 0;
};

template <class T>
class batch_node final : public unary_node<batch_node<T>, std::vector<T>, T>
{
  using out_type = std::vector<T>;
  using out_item = stream_item<out_type>;
  using callback = typename stream_node<out_type>::callback;

public:
  batch_node(node_ptr<T> src, std::size_t size, std::optional<duration> max_wait)
      : unary_node<batch_node, out_type, T>(std::move(src)), size_(size), max_wait_(max_wait)
  {
    if (max_wait_)
      timer_.emplace(this->ex_);
    cur_.reserve(size_);
  }

  void on_pull()
  {
    std::unique_lock lk(mu_);
    want_ = true;
    if (ready_ || (src_done_ && (!cur_.empty() || failure_)))
    {
      // A batch flushed by the timer, or what is left at the end.
      auto item = take_locked();
      lk.unlock();
      this->done_ = item.index() != 2;
      this->post_item(std::move(this->cb_), std::move(item));
      return;
    }
    if (src_done_)
    {
      lk.unlock();
      this->done_ = true;
      this->post_item(std::move(this->cb_), end_item<out_type>());
      return;
    }
    if (!pulling_)
    {
      pulling_ = true;
      lk.unlock();
      this->pull_source();
    }
    // else: the pull left running by a time-out flush will deliver.
  }

  void on_item(stream_item<T> item)
  {
    std::unique_lock lk(mu_);
    pulling_ = false;
    if (item.index() == 2)
    {
      cur_.push_back(std::get<2>(std::move(item)));
      if (cur_.size() == 1 && max_wait_)
        arm_locked();
      if (cur_.size() < size_)
      {
        if (want_)
        {
          pulling_ = true;
          lk.unlock();
          this->pull_source();
        }
        return; // no consumer waiting: pull on its next request
      }
      ready_ = true; // full
    }
    else
    {
      src_done_ = true;
      if (item.index() == 1)
        failure_ = std::get<1>(std::move(item));
      if (cur_.empty() && !failure_)
      {
        if (want_)
        {
          want_ = false;
          lk.unlock();
          this->deliver(end_item<out_type>());
        }
        return;
      }
    }
    if (!want_)
      return;
    auto out = take_locked();
    lk.unlock();
    this->deliver(std::move(out));
  }

private:
  // The next thing to hand out: the batch, or the failure once it is empty.
  out_item take_locked()
  {
    want_ = false;
    ready_ = false;
    if (timer_)
      timer_->cancel();
    if (!cur_.empty())
    {
      out_item out(std::in_place_index<2>, std::move(cur_));
      cur_ = out_type();
      cur_.reserve(size_);
      return out;
    }
    if (failure_)
      return error_item<out_type>(std::exchange(failure_, nullptr));
    return end_item<out_type>();
  }

  void arm_locked()
  {
    ++gen_;
    timer_->expires_after(*max_wait_);
    timer_->async_wait([self = this->shared_from_this(), gen = gen_](boost::system::error_code ec)
                       { self->on_timer(ec, gen); });
  }

  void on_timer(boost::system::error_code ec, std::uint64_t gen)
  {
    std::unique_lock lk(mu_);
    if (ec || gen != gen_ || cur_.empty() || ready_)
      return;
    if (!want_)
    {
      ready_ = true; // handed out on the next pull
      return;
    }
    // The pull stays outstanding; its item starts the next batch.
    auto out = take_locked();
    lk.unlock();
    this->deliver(std::move(out));
  }

  std::size_t size_;
  std::optional<duration> max_wait_;
  std::optional<herd::timer> timer_;
  std::mutex mu_;
  out_type cur_;
  std::exception_ptr failure_;
  bool want_ = false;     // a consumer pull is pending
  bool pulling_ = false;  // a source pull is pending
  bool ready_ = false;    // cur_ is due (full or timed out)
  bool src_done_ = false; // the source ended or failed
  std::uint64_t gen_ = 0;
};

// Admits items at the rate_limiter's pace: in any window t at most
// burst + rate * t / per items pass.
template <class T>
class throttle_node final : public unary_node<throttle_node<T>, T, T>
{
public:
  throttle_node(node_ptr<T> src, double rate, duration per, std::size_t burst)
      : unary_node<throttle_node, T, T>(std::move(src)), limiter_(this->ex_, rate, per, burst),
        strand_(net::make_strand(this->ex_))
  {
  }

  void stop() noexcept override
  {
    unary_node<throttle_node, T, T>::stop();
    net::post(strand_, [self = this->shared_from_this()] { self->signal_.emit(net::cancellation_type::terminal); });
  }

  void on_item(stream_item<T> item)
  {
    if (!this->pass_through(item))
      return;
    if (limiter_.try_acquire())
    {
      this->deliver(std::move(item));
      return;
    }
    held_.emplace(std::move(item));
    net::dispatch(strand_,
                  [self = this->shared_from_this()]
                  {
                    if (self->stopped())
                    {
                      self->on_permit(net::error::operation_aborted);
                      return;
                    }
                    self->limiter_.async_acquire(net::bind_cancellation_slot(
                        self->signal_.slot(), net::bind_executor(self->strand_, [self](boost::system::error_code ec)
                                                                 { self->on_permit(ec); })));
                  });
  }

private:
  void on_permit(boost::system::error_code ec)
  {
    auto item = std::move(*held_);
    held_.reset();
    if (ec)
      this->deliver(end_item<T>());
    else
      this->deliver(std::move(item));
  }

  herd::rate_limiter limiter_;
  net::strand<net::any_io_executor> strand_;
  net::cancellation_signal signal_; // on strand_
  std::optional<stream_item<T>> held_;
};

} // namespace detail

namespace streams
{

/// Groups items into vectors of @c size.
/**
 * A batch goes out when it is full, or @c max_wait after its first item
 * arrived (on the stream executor's herd::clock), whichever comes first; the
 * stream keeps going after a time-out flush, and what is left at the end goes
 * out as a last, shorter batch. A source's failure comes after the batch of
 * the items before it. Without @c max_wait only full batches (and the rest)
 * go out.
 *
 * @throws std::invalid_argument if size is 0 or max_wait is not positive.
 */
inline auto batch(std::size_t size, std::optional<duration> max_wait = std::nullopt)
{
  if (size == 0)
    throw std::invalid_argument("herd::streams::batch: size must be at least 1");
  if (max_wait && *max_wait <= duration::zero())
    throw std::invalid_argument("herd::streams::batch: max_wait must be positive");
  return detail::make_op(
      [size, max_wait]<class T>(stream<T>&& s)
      {
        return stream<std::vector<T>>(std::make_shared<herd::detail::batch_node<T>>(
            herd::detail::release_node(std::move(s), "herd::streams::batch"), size, max_wait));
      });
}

/// Lets at most `burst + rate * t / per` items through in any window @c t.
/**
 * Items are delayed, never dropped (a herd::rate_limiter on the stream
 * executor's clock).
 * @throws std::invalid_argument naming rate, per or burst when not positive.
 */
inline auto throttle(double rate, duration per = std::chrono::seconds(1), std::size_t burst = 1)
{
  if (!(rate > 0) || rate != rate || rate > 1e300)
    throw std::invalid_argument("herd::streams::throttle: rate must be positive");
  if (per <= duration::zero())
    throw std::invalid_argument("herd::streams::throttle: per must be positive");
  if (burst == 0)
    throw std::invalid_argument("herd::streams::throttle: burst must be at least 1");
  return detail::make_op(
      [rate, per, burst]<class T>(stream<T>&& s)
      {
        return stream<T>(std::make_shared<herd::detail::throttle_node<T>>(
            herd::detail::release_node(std::move(s), "herd::streams::throttle"), rate, per, burst));
      });
}

/// Fails the stream with herd::timeout_error when an item takes longer than
/// @c per_item (from the pull that asks for it) and stops the source.
/** @throws std::invalid_argument if per_item is not positive. */
inline auto timeout(duration per_item)
{
  if (per_item <= duration::zero())
    throw std::invalid_argument("herd::streams::timeout: per_item must be positive");
  return detail::make_op(
      [per_item]<class T>(stream<T>&& s)
      {
        return stream<T>(std::make_shared<herd::detail::timeout_node<T>>(
            herd::detail::release_node(std::move(s), "herd::streams::timeout"), per_item));
      });
}

} // namespace streams
} // namespace herd

#endif // HERD_STREAM_TIMED_HPP

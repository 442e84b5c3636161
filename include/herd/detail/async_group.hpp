//
// herd/detail/async_group.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_ASYNC_GROUP_HPP
#define HERD_DETAIL_ASYNC_GROUP_HPP

#include <herd/clock.hpp>
#include <herd/config.hpp>
#include <herd/error.hpp>
#include <herd/future.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/system_executor.hpp>
#include <memory>
#include <optional>
#include <vector>

namespace herd {
namespace detail {

// When a group of waits stops waiting for the rest.
enum class group_until
{
  all,           // every input settled
  first_failure, // an input failed or was cancelled (gather)
  first,         // any input settled (race)
  first_success  // an input succeeded (first_success)
};

// The waits of a group: each future's async_wait, bound to the group's strand.
// Boost 1.81's parallel_group is not thread-safe unless every operation
// completes on one strand (asio #1348), and herd futures settle on whatever
// thread finishes the task; binding each wait to one strand serialises them.
using group_strand = net::strand<net::any_io_executor>;

template <class T>
using group_wait_op = decltype(net::bind_executor(std::declval<const group_strand&>(),
                                                  std::declval<const future<T>&>().async_wait(net::deferred)));

// One asynchronous wait over many futures, built on a ranged parallel_group.
// `finish(order, timed_out, aborted)` runs on the strand once the group has
// completed: `order` holds the inputs' indices in completion order (those
// the group cut short come last).
template <class T, class Handler, class Finish>
class group_wait : public std::enable_shared_from_this<group_wait<T, Handler, Finish>>
{
public:
  group_wait(std::vector<future<T>> fs, group_until until, std::optional<duration> timeout, Handler handler,
             Finish finish)
    : futures_(std::move(fs)),
      until_(until),
      timeout_(timeout),
      handler_(std::move(handler)),
      finish_(std::move(finish)),
      strand_(net::make_strand(net::any_io_executor(net::get_associated_executor(handler_, net::system_executor())))),
      timer_(strand_)
  {
  }

  void start()
  {
    auto self = this->shared_from_this();
    auto slot = net::get_associated_cancellation_slot(handler_);
    if (slot.is_connected())
      slot.assign([self](net::cancellation_type type)
                  { net::post(self->strand_, [self, type] { self->cancel(type, false); }); });
    net::dispatch(strand_, [self] { self->launch(); });
  }

  std::vector<future<T>>& futures() noexcept { return futures_; }
  Handler take_handler() { return std::move(handler_); }

private:
  void launch()
  {
    auto self = this->shared_from_this();
    if (timeout_)
    {
      timer_.expires_after(*timeout_);
      timer_.async_wait(
          [self](boost::system::error_code ec)
          {
            if (!ec && !self->finished_)
              self->cancel(net::cancellation_type::terminal, true);
          });
    }
    std::vector<group_wait_op<T>> ops;
    ops.reserve(futures_.size());
    for (const auto& f : futures_)
      ops.push_back(net::bind_executor(strand_, f.async_wait(net::deferred)));
    const group_until until = until_;
    net::experimental::make_parallel_group(std::move(ops))
        .async_wait(
            [until](std::exception_ptr e, auto&&...)
            {
              switch (until)
              {
              case group_until::all: return net::cancellation_type::none;
              case group_until::first_failure: return e ? net::cancellation_type::terminal : net::cancellation_type::none;
              case group_until::first: return net::cancellation_type::terminal;
              case group_until::first_success: return e ? net::cancellation_type::none : net::cancellation_type::terminal;
              }
              return net::cancellation_type::none;
            },
            net::bind_cancellation_slot(
                signal_.slot(), net::bind_executor(strand_, [self](std::vector<std::size_t> order, auto&&...)
                                                   { self->done(std::move(order)); })));
  }

  void cancel(net::cancellation_type type, bool timed_out)
  {
    if (finished_)
      return;
    if (timed_out)
      timed_out_ = true;
    else
      aborted_ = true;
    signal_.emit(type);
  }

  void done(std::vector<std::size_t> order)
  {
    finished_ = true;
    timer_.cancel();
    auto slot = net::get_associated_cancellation_slot(handler_);
    if (slot.is_connected())
      slot.clear();
    finish_(*this, std::move(order), timed_out_, aborted_);
  }

  std::vector<future<T>> futures_;
  group_until until_;
  std::optional<duration> timeout_;
  Handler handler_;
  Finish finish_;
  group_strand strand_;
  herd::timer timer_; // on the clock of the handler's executor's context
  net::cancellation_signal signal_;
  bool finished_ = false;
  bool timed_out_ = false;
  bool aborted_ = false;
};

template <class T, class Handler, class Finish>
void start_group_wait(std::vector<future<T>> fs, group_until until, std::optional<duration> timeout,
                      Handler&& handler, Finish finish)
{
  using op = group_wait<T, std::decay_t<Handler>, Finish>;
  std::make_shared<op>(std::move(fs), until, timeout, std::forward<Handler>(handler), std::move(finish))->start();
}

// Completes a handler taken from a group_wait on its own executor.
template <class Handler, class... Args>
void complete_on_handler_executor(Handler handler, Args... args)
{
  auto ex = net::get_associated_executor(handler, net::system_executor());
  net::dispatch(ex, [h = std::move(handler), ... a = std::move(args)]() mutable { std::move(h)(std::move(a)...); });
}

inline std::exception_ptr timeout_exception(const char* call)
{
  return std::make_exception_ptr(timeout_error(std::string(call) + ": timed out"));
}

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_ASYNC_GROUP_HPP

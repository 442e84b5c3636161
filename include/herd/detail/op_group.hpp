//
// herd/detail/op_group.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_OP_GROUP_HPP
#define HERD_DETAIL_OP_GROUP_HPP

#include <herd/clock.hpp>
#include <herd/config.hpp>
#include <herd/detail/async_base.hpp>
#include <herd/error.hpp>
#include <herd/future.hpp>
#include <herd/progress.hpp>
#include <herd/detail/wait_core.hpp>
#include <herd/detail/group_input.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <exception>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

// The engine of herd's asynchronous wait strategies (async_wait,
// async_gather, async_gather_settled, race, first_success, zip): a
// parallel_group (ranged or variadic) over "inputs", each a herd future or an
// Asio deferred operation.
//
// Every input becomes an operation with the completion signature
// void(std::exception_ptr, bool stop): a herd future's async_wait, or the
// Asio operation itself, followed (through net::deferred) by a step that
// stores the operation's values in the input, counts the completion for the
// progress report and decides whether it ends the group. The group's
// cancellation condition is then just `stop`, and every input kind looks the
// same to parallel_group.
//
// Every operation is bound to one strand: Boost 1.81's parallel_group is not
// thread-safe unless its operations complete on one strand (asio #1348), and
// herd futures settle on whatever thread finishes their task.
//
// parallel_group completes only when every operation has: an Asio operation
// the group cut short is cancelled and awaited (so none outlives the call);
// for a future, only the wait on it is cancelled, and the front end decides
// what happens to the future itself (failure_policy, race's cancellation).

namespace herd {
namespace detail {

using group_strand = net::strand<net::any_io_executor>;

// An operation whose completion the group receives on its strand.
// (net::bind_executor cannot wrap a deferred_sequence: executor_binder
// calls its target as an lvalue, which deferred_sequence does not support
// in Boost 1.81.) The associated_executor specialisation is at the end.
template <class Inner>
struct strand_op
{
  group_strand strand_;
  Inner inner_;

  template <class Token>
  auto operator()(Token&& token)
  {
    return std::move(inner_)(std::forward<Token>(token));
  }
};

template <class Inner>
strand_op<Inner> on_strand(const group_strand& s, Inner&& op)
{
  return strand_op<Inner>{s, std::move(op)};
}

// What the group reports to its front end.
struct group_result
{
  std::vector<std::size_t> order;       // input indices in completion order
  std::vector<std::exception_ptr> errors; // each input's failure (or the cut wait's abort)
  bool timed_out = false;
  bool aborted = false;
};

// One asynchronous wait over many inputs (a std::vector or a std::tuple of
// group_input). `finish(group, result)` runs on the group's strand once the
// parallel_group has completed.
template <class Inputs, class Handler, class Finish>
class op_group : public async_base<Handler>, public std::enable_shared_from_this<op_group<Inputs, Handler, Finish>>
{
public:
  op_group(Inputs in, group_until until, std::optional<duration> timeout, progress_option progress, Handler handler,
           Finish finish)
    : async_base<Handler>(std::move(handler), net::system_executor()),
      inputs_(std::move(in)),
      until_(until),
      timeout_(timeout),
      progress_option_(std::move(progress)),
      progress_(progress_option_, input_count(inputs_)),
      finish_(std::move(finish)),
      strand_(net::make_strand(this->get_executor()))
  {
  }

  void start()
  {
    auto self = this->shared_from_this();
    this->install_cancellation([self](net::cancellation_type type)
                               { net::post(self->strand_, [self, type] { self->cancel(type, false); }); });
    // Posted: the handler never runs inside the initiating call.
    net::post(strand_, [self] { self->launch(); });
  }

  Inputs& inputs() noexcept { return inputs_; }

  // Called on the strand as each input completes; true ends the group.
  bool settled(const std::exception_ptr& e, bool finished, bool cancelled)
  {
    if (finished)
      progress_.update(++settled_);
    switch (until_)
    {
    case group_until::all: return false;
    case group_until::first_failure: return e != nullptr;
    case group_until::first: return true;
    case group_until::first_success: return e == nullptr;
    case group_until::first_exception: return e != nullptr && finished && !cancelled;
    }
    return false;
  }

private:
  void launch()
  {
    auto self = this->shared_from_this();
    if (timeout_)
    {
      timer_.emplace(strand_);
      timer_->expires_after(*timeout_);
      timer_->async_wait(
          [self](boost::system::error_code ec)
          {
            if (!ec && !self->finished_)
              self->cancel(net::cancellation_type::terminal, true);
          });
    }
    auto condition = [](const std::exception_ptr&, bool stop)
    { return stop ? net::cancellation_type::terminal : net::cancellation_type::none; };
    auto on_done = [self](auto order, auto&&... results) { self->done(std::move(order), results...); };
    auto handler = net::bind_cancellation_slot(signal_.slot(), net::bind_executor(strand_, std::move(on_done)));
    if constexpr (is_vector_)
    {
      using op = decltype(on_strand(strand_, inputs_[0].make_op(this, 0)));
      std::vector<op> ops;
      ops.reserve(inputs_.size());
      for (std::size_t i = 0; i < inputs_.size(); ++i)
        ops.push_back(on_strand(strand_, inputs_[i].make_op(this, i)));
      net::experimental::make_parallel_group(std::move(ops)).async_wait(condition, std::move(handler));
    }
    else
    {
      [&]<std::size_t... I>(std::index_sequence<I...>)
      {
        net::experimental::make_parallel_group(
            on_strand(strand_, std::get<I>(inputs_).make_op(this, I))...)
            .async_wait(condition, std::move(handler));
      }(std::make_index_sequence<std::tuple_size_v<Inputs>>());
    }
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

  // Ranged: (order, errors, stops).
  void done(std::vector<std::size_t> order, std::vector<std::exception_ptr>& errors, std::vector<bool>&)
  {
    group_result r{std::move(order), std::move(errors)};
    end_group(std::move(r));
  }

  // Variadic: (order, e0, stop0, e1, stop1, ...).
  template <std::size_t N, class... R>
  void done(std::array<std::size_t, N> order, R&... results)
  {
    auto flat = std::forward_as_tuple(results...);
    group_result r;
    r.order.assign(order.begin(), order.end());
    [&]<std::size_t... I>(std::index_sequence<I...>) { r.errors = {std::get<2 * I>(flat)...}; }(
        std::make_index_sequence<N>());
    end_group(std::move(r));
  }

  // The front end's finish completes the handler with this->complete(...)
  // (async_base: posted to its executor, with its allocator; the slot is
  // cleared there, in the upcall).
  void end_group(group_result r)
  {
    finished_ = true;
    if (timer_)
      timer_->cancel();
    progress_.finish(settled_);
    r.timed_out = timed_out_;
    r.aborted = aborted_;
    finish_(*this, std::move(r));
  }

  static constexpr bool is_vector_ = !requires { std::tuple_size<Inputs>::value; };

  Inputs inputs_;
  group_until until_;
  std::optional<duration> timeout_;
  progress_option progress_option_;
  progress_reporter progress_; // refers to progress_option_
  Finish finish_;
  group_strand strand_;
  std::optional<herd::timer> timer_; // on the clock of the handler's executor's context
  net::cancellation_signal signal_;
  std::size_t settled_ = 0;
  bool finished_ = false;
  bool timed_out_ = false;
  bool aborted_ = false;
};

// Starts a group; an empty vector completes it at once (posted) through
// `finish` with an empty result.
template <class Inputs, class Handler, class Finish>
void start_op_group(Inputs in, group_until until, std::optional<duration> timeout, const progress_option& progress,
                    Handler&& handler, Finish finish)
{
  using op = op_group<Inputs, std::decay_t<Handler>, Finish>;
  auto alloc = op_allocator<op>(handler);
  std::allocate_shared<op>(alloc, std::move(in), until, timeout, progress, std::forward<Handler>(handler),
                           std::move(finish))
      ->start();
}

// The operation of a group over no inputs: it completes at once, through
// the base (posted to the handler's executor, with the handler's allocator;
// no executor of its own, so the system executor by default, as for every
// future and group operation).
template <class Handler>
class immediate_op final : public async_base<Handler, net::system_executor>
{
public:
  explicit immediate_op(Handler&& h) : async_base<Handler, net::system_executor>(std::move(h), net::system_executor())
  {
  }
};

// Completes a handler at once (posted to its executor): empty inputs.
template <class Handler, class... Args>
void post_to_handler_executor(Handler&& handler, Args... args)
{
  using op = immediate_op<std::decay_t<Handler>>;
  op::complete_owned_with(new_op<op>(std::forward<Handler>(handler)), std::move(args)...);
}

inline std::exception_ptr timeout_exception(const char* call)
{
  return std::make_exception_ptr(timeout_error(std::string(call) + ": timed out"));
}

// The result a failed group completes with: value-initialised, or, for an
// element that cannot be (an outcome), the failure itself.
template <class R>
R failed_result(const std::exception_ptr& e)
{
  if constexpr (std::is_default_constructible_v<R>)
    return R();
  else if constexpr (requires { std::tuple_size<R>::value; })
    return [&]<std::size_t... I>(std::index_sequence<I...>)
    { return R(failed_result<std::tuple_element_t<I, R>>(e)...); }(std::make_index_sequence<std::tuple_size_v<R>>());
  else
    return R(e);
}

// The first input in completion order that really failed (not a wait the
// group cut short), if any.
template <class Inputs>
std::optional<std::size_t> first_failure(Inputs& in, const group_result& r)
{
  std::vector<bool> finished(r.errors.size());
  for_each_input(in, [&](std::size_t i, auto& x) { finished[i] = x.finished(); });
  for (std::size_t i : r.order)
    if (r.errors[i] && finished[i])
      return i;
  return std::nullopt;
}

// The first input in completion order that succeeded, if any.
inline std::optional<std::size_t> first_success_of(const group_result& r)
{
  for (std::size_t i : r.order)
    if (!r.errors[i])
      return i;
  return std::nullopt;
}

// Cancels every unfinished future input (Asio operations are already done).
template <class Inputs>
void cancel_unfinished(Inputs& in, std::optional<std::size_t> except = std::nullopt)
{
  for_each_input(in,
                 [&](std::size_t i, auto& x)
                 {
                   if (i != except)
                     x.cancel();
                 });
}

// The failure of an aborted or timed-out group, if it was.
inline std::exception_ptr group_failure(const group_result& r, const char* call)
{
  if (r.aborted)
    return aborted_exception();
  if (r.timed_out)
    return timeout_exception(call);
  return nullptr;
}

// The inputs of a range: a vector of group_input (operations are moved out).
template <class R>
auto inputs_of(R&& r)
{
  using X = std::remove_cvref_t<decltype(*std::begin(r))>;
  std::vector<group_input<X>> v;
  if constexpr (requires { r.size(); })
    v.reserve(r.size());
  for (auto&& x : r)
  {
    if constexpr (is_herd_future<X>::value)
      v.emplace_back(x);
    else
      v.emplace_back(std::move(x));
  }
  return v;
}

// The variadic forms' arguments: inputs (futures, Asio operations), then
// optionally Options, then optionally a completion token (default deferred).
template <class... A>
constexpr std::size_t leading_inputs() noexcept
{
  constexpr bool is_input[] = {is_wait_input_v<A>..., false};
  std::size_t n = 0;
  while (is_input[n])
    ++n;
  return n;
}

template <class Options, class Fn, class... Args>
auto call_variadic(Fn fn, Args&&... args)
{
  constexpr std::size_t total = sizeof...(Args);
  constexpr std::size_t n = leading_inputs<Args...>();
  using types = std::tuple<Args...>;
  constexpr bool has_options = []
  {
    if constexpr (n < total)
      return std::is_same_v<std::remove_cvref_t<std::tuple_element_t<n, types>>, Options>;
    else
      return false;
  }();
  constexpr std::size_t rest = total - n - (has_options ? 1 : 0);
  static_assert(n >= 1, "herd: the inputs come first: herd futures or Asio deferred operations");
  static_assert(rest <= 1, "herd: the arguments are inputs (herd futures, Asio deferred operations), then "
                           "optionally the options, then optionally a completion token");
  auto t = std::forward_as_tuple(std::forward<Args>(args)...);
  Options options{};
  if constexpr (has_options)
    options = std::get<n>(t);
  auto inputs = [&]<std::size_t... I>(std::index_sequence<I...>)
  {
    return std::tuple<input_t<std::tuple_element_t<I, types>>...>(
        make_input(std::forward<std::tuple_element_t<I, types>>(std::get<I>(t)))...);
  }(std::make_index_sequence<n>());
  if constexpr (rest == 1)
    return fn(std::forward<std::tuple_element_t<total - 1, types>>(std::get<total - 1>(t)), std::move(inputs),
              std::move(options));
  else
    return fn(net::deferred, std::move(inputs), std::move(options));
}

} // namespace detail
} // namespace herd

template <class Inner, class Executor>
struct boost::asio::associated_executor<herd::detail::strand_op<Inner>, Executor>
{
  using type = herd::detail::group_strand;
  static type get(const herd::detail::strand_op<Inner>& op, const Executor& = Executor()) noexcept
  {
    return op.strand_;
  }
};

#endif // HERD_DETAIL_OP_GROUP_HPP

//
// herd/detail/group_input.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_GROUP_INPUT_HPP
#define HERD_DETAIL_GROUP_INPUT_HPP

#include <herd/config.hpp>
#include <herd/error.hpp>
#include <herd/future.hpp>
#include <herd/detail/wait_core.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/system/system_error.hpp>

#include <cstddef>
#include <exception>
#include <iterator>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

// The inputs of herd's asynchronous wait strategies (see detail/op_group.hpp):
// a herd future or an Asio deferred operation, each seen by the group as an
// operation with the signature void(std::exception_ptr, bool stop), and the
// value it gives (gathered_value, settled_outcome). Moved out of op_group.hpp
// unchanged (issue 16: one concept per header).

namespace herd
{
namespace detail
{

template <class T>
using gathered_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
gathered_t<T> gathered_value(const future<T>& f)
{
  if constexpr (std::is_void_v<T>)
  {
    f.get();
    return {};
  }
  else
    return value_copy(f);
}

template <class T>
outcome<gathered_t<T>> settled_outcome(const future<T>& f)
{
  if (auto e = f.exception())
    return outcome<gathered_t<T>>(e);
  return outcome<gathered_t<T>>(gathered_value(f));
}

// When a group stops waiting for the rest.
enum class group_until
{
  all,             // every input settled
  first_failure,   // an input failed or was cancelled (gather, zip)
  first,           // any input settled (race, wait(first_completed))
  first_success,   // an input succeeded (first_success)
  first_exception  // an input failed; a cancelled one does not count (wait)
};

// ---------------------------------------------------------------------------
// What an Asio operation's completion means as a value: a leading
// error_code or exception_ptr is its failure; the rest is the value
// (nothing: std::monostate; one argument: itself; more: a std::tuple).

template <class... A>
struct packed_value
{
  using type = std::tuple<std::decay_t<A>...>;
  template <class... B>
  static type make(B&&... b)
  {
    return type(std::forward<B>(b)...);
  }
};

template <>
struct packed_value<>
{
  using type = std::monostate;
  static type make() { return {}; }
};

template <class A>
struct packed_value<A>
{
  using type = std::decay_t<A>;
  template <class B>
  static type make(B&& b)
  {
    return type(std::forward<B>(b));
  }
};

template <class A>
inline constexpr bool is_error_arg_v = std::is_same_v<std::decay_t<A>, boost::system::error_code> ||
                                       std::is_same_v<std::decay_t<A>, std::exception_ptr>;

template <class Sig>
struct op_completion;

template <>
struct op_completion<void()>
{
  using value = std::monostate;
};

template <class A0, class... A>
struct op_completion<void(A0, A...)>
{
  using value = typename std::conditional_t<is_error_arg_v<A0>, packed_value<A...>, packed_value<A0, A...>>::type;
};

inline std::exception_ptr error_of(const boost::system::error_code& ec)
{
  return ec ? std::make_exception_ptr(boost::system::system_error(ec)) : nullptr;
}

inline std::exception_ptr error_of(const std::exception_ptr& e) { return e; }

// ---------------------------------------------------------------------------
// Inputs.

// An Asio deferred operation (anything callable with a completion token
// that has one completion signature), e.g. timer.async_wait(net::deferred).
// herd futures are operations too (future::operator()), but groups take them
// as futures: that path keeps keys, shapes and the task/cancel semantics.
template <class Op>
concept asio_operation =
    net::is_async_operation<std::decay_t<Op>>::value && !is_herd_future<std::decay_t<Op>>::value;

// A range of Asio operations of one type.
template <class R>
concept operation_range = requires(R& r) {
  std::begin(r);
  std::end(r);
} && asio_operation<std::remove_cvref_t<decltype(*std::begin(std::declval<R&>()))>>;

// The step after an Asio operation: stores its value, reports to the group.
template <class V, class Group>
struct store_completion
{
  std::optional<V>* slot;
  Group* group;
  std::size_t index;

  template <class A0, class... A>
  auto operator()(A0&& a0, A&&... a) const
  {
    std::exception_ptr e;
    if constexpr (is_error_arg_v<A0>)
    {
      e = error_of(a0);
      if (!e)
        slot->emplace(packed_value<A...>::make(std::forward<A>(a)...));
    }
    else
      slot->emplace(packed_value<A0, A...>::make(std::forward<A0>(a0), std::forward<A>(a)...));
    const bool stop = group->settled(e, true, false);
    return net::deferred.values(std::move(e), stop);
  }

  auto operator()() const
  {
    slot->emplace();
    const bool stop = group->settled(nullptr, true, false);
    return net::deferred.values(std::exception_ptr(), stop);
  }
};

// Settles a promise with an Asio operation's completion.
template <class V, class A0, class... A>
void settle_promise(promise<V>& p, A0&& a0, A&&... a)
{
  if constexpr (is_error_arg_v<A0>)
  {
    if (auto e = error_of(a0))
      p.set_exception(std::move(e));
    else
      p.set_value(packed_value<A...>::make(std::forward<A>(a)...));
  }
  else
    p.set_value(packed_value<A0, A...>::make(std::forward<A0>(a0), std::forward<A>(a)...));
}

template <class V>
void settle_promise(promise<V>& p)
{
  p.set_value(V());
}

// The step after a future's async_wait: reports to the group (the value
// stays in the future).
template <class T, class Group>
struct future_completion
{
  const future<T>* f;
  Group* group;
  std::size_t index;

  template <class... A>
  auto operator()(std::exception_ptr e, A&&...) const
  {
    const bool finished = f->done(); // false: the group cut this wait short
    const bool cancelled = finished && f->state() == task_state::cancelled;
    const bool stop = group->settled(e, finished, cancelled);
    return net::deferred.values(std::move(e), stop);
  }
};

// A future's wait as a group operation. A future already done completes it
// at once (the group launches on its strand, where parallel_group's
// per-operation handler then runs inline): no post per ready input.
template <class T, class Group>
struct group_future_op
{
  const future<T>* f;
  Group* group;
  std::size_t index;

  struct initiation
  {
    const future<T>* f;
    Group* group;
    std::size_t index;

    template <class Handler>
    void operator()(Handler&& h) const
    {
      if (f->done())
      {
        std::exception_ptr e = f->exception();
        const bool stop = group->settled(e, true, f->state() == task_state::cancelled);
        std::forward<Handler>(h)(std::move(e), stop);
      }
      else
        f->async_wait(net::deferred)(net::deferred(future_completion<T, Group>{f, group, index}))(
            std::forward<Handler>(h));
    }
  };

  template <class Token>
  auto operator()(Token&& token)
  {
    return net::async_initiate<Token, void(std::exception_ptr, bool)>(initiation{f, group, index}, token);
  }
};

template <class X>
struct group_input; // an Asio operation

template <class Op>
  requires asio_operation<Op>
struct group_input<Op>
{
  static constexpr bool is_future = false;
  using value_type = typename op_completion<net::completion_signature_of_t<Op>>::value;

  explicit group_input(Op&& op) : op_(std::move(op)) {}

  template <class Group>
  auto make_op(Group* g, std::size_t i)
  {
    return std::move(*op_)(net::deferred(store_completion<value_type, Group>{&value_, g, i}));
  }

  bool finished() const noexcept { return true; } // the group awaits every operation
  void cancel() noexcept {}                        // and has cancelled those it cut short
  value_type take_value() { return std::move(*value_); }
  outcome<value_type> take_outcome(std::exception_ptr e)
  {
    if (e)
      return outcome<value_type>(std::move(e));
    return outcome<value_type>(take_value());
  }

  std::optional<Op> op_;
  std::optional<value_type> value_;
};

template <class T>
struct group_input<future<T>>
{
  static constexpr bool is_future = true;
  using value_type = gathered_t<T>;

  explicit group_input(future<T> f) : f_(std::move(f)) {}

  template <class Group>
  auto make_op(Group* g, std::size_t i)
  {
    return group_future_op<T, Group>{&f_, g, i};
  }

  bool finished() const noexcept { return f_.done(); }
  void cancel() noexcept
  {
    if (!f_.done())
      f_.cancel();
  }
  value_type take_value() const { return gathered_value(f_); }
  outcome<value_type> take_outcome(std::exception_ptr) const { return settled_outcome(f_); }

  future<T> f_;
};

template <class X>
using input_t = group_input<std::decay_t<X>>;

template <class X>
inline constexpr bool is_wait_input_v = is_herd_future<std::decay_t<X>>::value || asio_operation<X>;

template <class X>
input_t<X> make_input(X&& x)
{
  if constexpr (is_herd_future<std::decay_t<X>>::value)
    return input_t<X>(x);
  else
    return input_t<X>(std::move(x)); // an operation is consumed
}

// Calls f(i, input) for every input of a vector or a tuple.
template <class In, class F>
void for_each_input(std::vector<In>& in, F&& f)
{
  for (std::size_t i = 0; i < in.size(); ++i)
    f(i, in[i]);
}

template <class... In, class F>
void for_each_input(std::tuple<In...>& in, F&& f)
{
  [&]<std::size_t... I>(std::index_sequence<I...>) { (f(I, std::get<I>(in)), ...); }(std::index_sequence_for<In...>());
}

template <class In>
std::size_t input_count(const std::vector<In>& in) noexcept
{
  return in.size();
}

template <class... In>
constexpr std::size_t input_count(const std::tuple<In...>&) noexcept
{
  return sizeof...(In);
}

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_GROUP_INPUT_HPP

//
// herd/detail/gather_finish.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_GATHER_FINISH_HPP
#define HERD_DETAIL_GATHER_FINISH_HPP

#include <herd/config.hpp>
#include <herd/detail/op_group.hpp>
#include <herd/detail/wait_core.hpp>
#include <herd/future.hpp>
#include <herd/gather_options.hpp>

#include <boost/asio/async_result.hpp>

#include <exception>
#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

// How async_gather and async_gather_settled shape and complete their result
// over an op_group (detail/op_group.hpp): a vector, a map, a tuple or one
// value; the first failure in completion order, the timeout or the
// cancellation. Moved out of gather.hpp unchanged (issue 16: one concept per
// header).

namespace herd
{
namespace detail
{

// The value an input gives in a gather: its value, or its outcome.
template <bool Settled, class In>
auto gathered_of(In& in, const std::exception_ptr& e)
{
  if constexpr (Settled)
    return in.take_outcome(e);
  else
    return in.take_value();
}

template <bool Settled, class In>
using gathered_of_t = decltype(gathered_of<Settled>(std::declval<In&>(), std::exception_ptr()));

// The shapes of a gather's result: a vector, a map, a tuple, or one value.
template <bool Settled>
struct vector_shape
{
  template <class In>
  auto build(std::vector<In>& in, const group_result& r) const
  {
    std::vector<gathered_of_t<Settled, In>> out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i)
      out.push_back(gathered_of<Settled>(in[i], r.errors[i]));
    return out;
  }
};

template <bool Settled, class Map>
struct map_shape
{
  std::vector<range_key_t<Map>> keys;

  template <class In>
  auto build(std::vector<In>& in, const group_result& r) const
  {
    gathered_map_t<Map, gathered_of_t<Settled, In>> out;
    for (std::size_t i = 0; i < in.size(); ++i)
      out.emplace(keys[i], gathered_of<Settled>(in[i], r.errors[i]));
    return out;
  }
};

template <bool Settled, bool Single>
struct tuple_shape
{
  template <class... In>
  auto build(std::tuple<In...>& in, const group_result& r) const
  {
    return [&]<std::size_t... I>(std::index_sequence<I...>)
    {
      if constexpr (Single)
        return gathered_of<Settled>(std::get<0>(in), r.errors[0]);
      else
        return std::tuple<gathered_of_t<Settled, In>...>(gathered_of<Settled>(std::get<I>(in), r.errors[I])...);
    }(std::index_sequence_for<In...>());
  }
};

template <class Shape, class Inputs>
using shape_result_t = decltype(std::declval<const Shape&>().build(std::declval<Inputs&>(), std::declval<group_result&>()));

// Completes a gather: the first failure in completion order (unless
// Settled), the timeout or the cancellation, else the shaped values.
template <bool Settled, class Shape>
struct gather_finish
{
  Shape shape;
  failure_policy policy;
  const char* call;

  template <class Group>
  void operator()(Group& g, group_result r) const
  {
    auto& in = g.inputs();
    using result = shape_result_t<Shape, std::remove_reference_t<decltype(in)>>;
    std::exception_ptr e = group_failure(r, call);
    if (!e && !Settled)
      if (auto i = first_failure(in, r))
        e = r.errors[*i];
    if (e)
    {
      if (policy == failure_policy::cancel_pending)
        cancel_unfinished(in);
      auto empty = failed_result<result>(e);
      g.complete(std::move(e), std::move(empty));
    }
    else
      g.complete(std::exception_ptr(), shape.build(in, r));
  }
};

template <bool Settled>
struct initiate_async_gather
{
  template <class Handler, class Inputs, class Shape>
  void operator()(Handler&& handler, Inputs in, Shape shape, gather_options o) const
  {
    const char* call = Settled ? "herd::async_gather_settled" : "herd::async_gather";
    if constexpr (requires { in.empty(); })
      if (in.empty())
      {
        group_result none;
        post_to_handler_executor(std::forward<Handler>(handler), std::exception_ptr(), shape.build(in, none));
        return;
      }
    start_op_group(std::move(in), Settled ? group_until::all : group_until::first_failure, o.timeout, o.progress,
                   std::forward<Handler>(handler), gather_finish<Settled, Shape>{std::move(shape), o.on_failure, call});
  }
};

// A range (or map) of futures, or a range of Asio operations.
template <class R>
concept async_gather_range = herd_future_range<std::remove_cvref_t<R>> || operation_range<R>;

template <bool Settled, class R, class Token>
auto async_gather_range_impl(R&& fs, const gather_options& o, Token&& token)
{
  if constexpr (map_like<std::remove_cvref_t<R>>)
  {
    auto [keys, futures] = keyed_futures(fs);
    auto in = inputs_of(futures);
    map_shape<Settled, std::remove_cvref_t<R>> shape{std::move(keys)};
    using sig = void(std::exception_ptr, shape_result_t<decltype(shape), decltype(in)>);
    return net::async_initiate<Token, sig>(initiate_async_gather<Settled>(), token, std::move(in), std::move(shape), o);
  }
  else
  {
    auto in = inputs_of(std::forward<R>(fs));
    using sig = void(std::exception_ptr, shape_result_t<vector_shape<Settled>, decltype(in)>);
    return net::async_initiate<Token, sig>(initiate_async_gather<Settled>(), token, std::move(in),
                                           vector_shape<Settled>(), o);
  }
}

template <bool Settled, bool Single>
struct gather_variadic
{
  template <class Token, class Inputs, class Options>
  auto operator()(Token&& token, Inputs in, Options options) const
  {
    gather_options o;
    if constexpr (std::is_same_v<Options, gather_options>)
      o = std::move(options);
    using shape = tuple_shape<Settled, Single>;
    using sig = void(std::exception_ptr, shape_result_t<shape, Inputs>);
    return net::async_initiate<Token, sig>(initiate_async_gather<Settled>(), token, std::move(in), shape(), o);
  }
};

template <class... A>
inline constexpr bool single_input_v = leading_inputs<A...>() == 1;

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_GATHER_FINISH_HPP

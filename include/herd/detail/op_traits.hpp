//
// herd/detail/op_traits.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_OP_TRAITS_HPP
#define HERD_DETAIL_OP_TRAITS_HPP

#include <herd/config.hpp>
#include <herd/detail/asio_workarounds.hpp>
#include <herd/error.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/system/system_error.hpp>
#include <exception>
#include <tuple>
#include <type_traits>

namespace herd
{
namespace detail
{

// How an Asio operation reports failure, read off its completion signature:
// a leading error_code or exception_ptr, or nothing (it cannot fail).
template <class Sig>
struct op_signature;

template <class... Args>
struct op_signature<void(Args...)>
{
  using values = std::tuple<std::decay_t<Args>...>;
  using signature = void(Args...);

  template <class T, class... Rest>
  static constexpr bool leads_with()
  {
    if constexpr (sizeof...(Args) == 0)
      return false;
    else
      return std::is_same_v<std::decay_t<std::tuple_element_t<0, std::tuple<Args...>>>, T>;
  }

  static constexpr bool error_code_first = leads_with<boost::system::error_code>();
  static constexpr bool exception_first = leads_with<std::exception_ptr>();
  static constexpr bool can_fail = error_code_first || exception_first;

  static bool failed(const values& v) noexcept
  {
    if constexpr (error_code_first)
      return !!std::get<0>(v);
    else if constexpr (exception_first)
      return !!std::get<0>(v);
    else
      return false;
  }

  // The failure as an exception_ptr (for retry_if and friends).
  static std::exception_ptr error_of(const values& v)
  {
    if constexpr (error_code_first)
      return std::get<0>(v) ? std::make_exception_ptr(boost::system::system_error(std::get<0>(v))) : nullptr;
    else if constexpr (exception_first)
      return std::get<0>(v);
    else
      return nullptr;
  }

  // The failed result for the exception being handled (call it in a catch
  // block): a make_op that threw. exception_ptr signatures get it unchanged;
  // error_code signatures get a system_error's own code, otherwise
  // errc::invalid_argument.
  static values thrown()
  {
    std::exception_ptr e = std::current_exception();
    boost::system::error_code ec = boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    try
    {
      throw;
    }
    catch (const boost::system::system_error& se)
    {
      ec = se.code();
    }
    catch (...)
    {
    }
    return failure(ec, std::move(e));
  }

  // A failed result: the error first, the other arguments value-initialised.
  // An error_code signature gets ec, an exception_ptr signature gets e.
  static values failure(boost::system::error_code ec, std::exception_ptr e)
  {
    values v{};
    if constexpr (error_code_first)
      std::get<0>(v) = ec;
    else if constexpr (exception_first)
      std::get<0>(v) = e;
    return v;
  }
};

// void(exception_ptr, T), or void(exception_ptr) for T = void (co_spawn's).
template <class T>
struct exception_signature
{
  using type = void(std::exception_ptr, T);
};

template <>
struct exception_signature<void>
{
  using type = void(std::exception_ptr);
};

// What herd accepts as "an operation": an Asio deferred operation (anything
// callable with a completion handler that has a completion signature), or a
// net::awaitable<T>, which is co_spawned on the given executor.
template <class Op, class = void>
struct operation_traits
{
  static constexpr bool value = false;
};

template <class Op>
struct operation_traits<Op, std::enable_if_t<net::is_async_operation<Op>::value>>
{
  static constexpr bool value = true;
  using signature = net::completion_signature_of_t<Op>;

  template <class Executor, class Handler>
  static void start(Op& op, const Executor&, Handler&& h)
  {
    std::move(op)(std::forward<Handler>(h));
  }
};

template <class T>
struct operation_traits<net::awaitable<T, net::any_io_executor>, void>
{
  static constexpr bool value = true;
  using signature = typename exception_signature<T>::type;

  template <class Executor, class Handler>
  static void start(net::awaitable<T, net::any_io_executor>& op, const Executor& ex, Handler&& h)
  {
    spawn_gated(ex, std::move(op), std::forward<Handler>(h));
  }
};

template <class Op>
inline constexpr bool is_operation_v = operation_traits<std::decay_t<Op>>::value;

template <class Op>
using operation_signature_t = typename operation_traits<std::decay_t<Op>>::signature;

template <class Op>
using op_signature_of = op_signature<operation_signature_t<Op>>;

// Invokes a handler with a stored tuple of completion arguments.
template <class Handler, class Values>
void invoke_with(Handler& h, Values&& v)
{
  std::apply([&](auto&&... a) { std::move(h)(std::forward<decltype(a)>(a)...); }, std::forward<Values>(v));
}

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_OP_TRAITS_HPP

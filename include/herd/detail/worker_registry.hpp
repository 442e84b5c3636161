//
// herd/detail/worker_registry.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_WORKER_REGISTRY_HPP
#define HERD_DETAIL_WORKER_REGISTRY_HPP

// What herd::worker needs of process mode without Boost.Serialization: the
// registered methods (worker_methods<T>, HERD_WORKER_METHODS) and the
// declarations of the process-mode machinery, which detail/worker_process.hpp
// defines. worker.hpp uses them only for a registered T, and registering
// (HERD_WORKER_METHODS) takes <herd/worker_process.hpp>, which brings the
// definitions.

#include <herd/config.hpp>
#include <herd/worker_methods.hpp>

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace herd {
namespace detail {

template <class T>
concept registered_worker = requires { worker_methods<T>::list; };

// The parameter and result types of a member function pointer.
template <class M>
struct method_traits;

#define HERD_DETAIL_METHOD_TRAITS(QUALS)                                                                         \
  template <class R, class C, class... P>                                                                        \
  struct method_traits<R (C::*)(P...) QUALS>                                                                     \
  {                                                                                                              \
    using result = R;                                                                                            \
    using args = std::tuple<std::decay_t<P>...>;                                                                 \
  };
HERD_DETAIL_METHOD_TRAITS()
HERD_DETAIL_METHOD_TRAITS(const)
HERD_DETAIL_METHOD_TRAITS(noexcept)
HERD_DETAIL_METHOD_TRAITS(const noexcept)
#undef HERD_DETAIL_METHOD_TRAITS

// The index of method M in T's registered list, or -1.
template <class T, auto M>
constexpr int method_index()
{
  constexpr auto& list = worker_methods<T>::list;
  int found = -1;
  [&]<std::size_t... I>(std::index_sequence<I...>)
  {
    (
        [&]
        {
          if constexpr (std::is_same_v<std::remove_cvref_t<decltype(std::get<I>(list))>, decltype(M)>)
            if (std::get<I>(list) == M && found < 0)
              found = static_cast<int>(I);
        }(),
        ...);
  }(std::make_index_sequence<std::tuple_size_v<std::remove_cvref_t<decltype(list)>>>());
  return found;
}

// Defined in detail/worker_process.hpp (Boost.Serialization).
template <class Tuple>
std::string save_tuple(const Tuple& t);
template <class Tuple>
Tuple load_tuple(const std::string& bytes);
template <class T>
class process_child;

// Defined only by detail/worker_process.hpp: a process-mode worker checks at
// compile time that it is there (without it, a type registered by hand
// through herd::worker_methods would fail only at link time, on save_tuple).
template <class T>
struct process_support;

template <class T>
inline constexpr bool process_support_included = requires { process_support<T>::included; };

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_WORKER_REGISTRY_HPP

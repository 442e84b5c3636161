//
// herd/impl/error.ipp
// ~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_IMPL_ERROR_IPP
#define HERD_IMPL_ERROR_IPP

#include <herd/error.hpp>

namespace herd {
namespace detail {

class error_category_impl : public boost::system::error_category
{
public:
  // A fixed identifier keeps codes comparable across shared libraries.
  constexpr error_category_impl() noexcept : boost::system::error_category(0x6865726400000001ULL) {}

  const char* name() const noexcept override { return "herd"; }

  std::string message(int ev) const override
  {
    switch (static_cast<errc>(ev))
    {
    case errc::timeout: return "operation timed out";
    case errc::cancelled: return "operation cancelled";
    case errc::shutdown: return "executor shut down";
    case errc::circuit_open: return "circuit breaker is open";
    case errc::broken_barrier: return "barrier broken";
    case errc::stream_closed: return "stream closed";
    }
    return "unknown herd error " + std::to_string(ev);
  }
};

} // namespace detail

HERD_DECL const boost::system::error_category& error_category() noexcept
{
  static const detail::error_category_impl instance;
  return instance;
}

HERD_DECL std::string aggregate_error::describe(const std::vector<std::exception_ptr>& errors)
{
  std::string text = std::to_string(errors.size()) + " operation(s) failed";
  const char* sep = ": ";
  for (const auto& e : errors)
  {
    try
    {
      if (e)
        std::rethrow_exception(e);
      continue;
    }
    catch (const std::exception& ex)
    {
      text += sep;
      text += ex.what();
    }
    catch (...)
    {
      text += sep;
      text += "unknown exception";
    }
    sep = "; ";
  }
  return text;
}

} // namespace herd

#endif // HERD_IMPL_ERROR_IPP

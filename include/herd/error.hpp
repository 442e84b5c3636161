//
// herd/error.hpp
// ~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_ERROR_HPP
#define HERD_ERROR_HPP

#include <herd/config.hpp>

#include <boost/system/error_code.hpp>
#include <exception>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

namespace herd {

/// Error codes raised by herd itself.
enum class errc
{
  timeout = 1,    ///< A deadline passed before the operation finished.
  cancelled,      ///< The task or operation was cancelled.
  shutdown,       ///< The executor was shut down.
  circuit_open,   ///< A circuit breaker rejected the call.
  broken_barrier, ///< A barrier was broken while waiting.
  stream_closed   ///< The stream was closed.
};

/// The category of herd::errc. Its name is "herd".
HERD_DECL const boost::system::error_category& error_category() noexcept;

/// Makes a Boost.System error code from a herd::errc.
/**
 * The code converts implicitly to std::error_code, so both
 * `boost::system::error_code ec = herd::errc::timeout;` and comparisons of a
 * std::system_error's code() with herd::errc work.
 */
inline boost::system::error_code make_error_code(errc e) noexcept
{
  return boost::system::error_code(static_cast<int>(e), error_category());
}

/// Base of herd's exceptions: a std::system_error carrying a herd::errc.
class error : public std::system_error
{
public:
  explicit error(errc e) : std::system_error(std::error_code(make_error_code(e))) {}
  error(errc e, const std::string& what)
    : std::system_error(std::error_code(make_error_code(e)), what)
  {
  }
};

/// A deadline passed (errc::timeout).
class timeout_error : public error
{
public:
  timeout_error() : error(errc::timeout) {}
  explicit timeout_error(const std::string& what) : error(errc::timeout, what) {}
};

/// A task or operation was cancelled (errc::cancelled).
class cancelled_error : public error
{
public:
  cancelled_error() : error(errc::cancelled) {}
  explicit cancelled_error(const std::string& what) : error(errc::cancelled, what) {}
};

/// The executor was shut down (errc::shutdown).
class shutdown_error : public error
{
public:
  shutdown_error() : error(errc::shutdown) {}
  explicit shutdown_error(const std::string& what) : error(errc::shutdown, what) {}
};

/// A circuit breaker is open (errc::circuit_open).
class circuit_open_error : public error
{
public:
  circuit_open_error() : error(errc::circuit_open) {}
  explicit circuit_open_error(const std::string& what) : error(errc::circuit_open, what) {}
};

/// Several operations failed; errors() holds every failure, in input order.
class aggregate_error : public std::runtime_error
{
public:
  explicit aggregate_error(std::vector<std::exception_ptr> errors)
    : std::runtime_error(describe(errors)), errors_(std::move(errors))
  {
  }

  /// The failures, in input order.
  const std::vector<std::exception_ptr>& errors() const noexcept { return errors_; }

private:
  HERD_DECL static std::string describe(const std::vector<std::exception_ptr>& errors);

  std::vector<std::exception_ptr> errors_;
};

} // namespace herd

template <>
struct boost::system::is_error_code_enum<herd::errc> : std::true_type
{
};

// Lets a std::system_error's code() compare with a herd::errc directly.
template <>
struct std::is_error_code_enum<herd::errc> : std::true_type
{
};

#if defined(HERD_HEADER_ONLY)
#include <herd/impl/error.ipp>
#endif

#endif // HERD_ERROR_HPP

//
// herd/impl/wait.ipp
// ~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_IMPL_WAIT_IPP
#define HERD_IMPL_WAIT_IPP

#include <herd/wait.hpp>

#include <cctype>
#include <stdexcept>
#include <string>

namespace herd {

HERD_DECL return_when parse_return_when(std::string_view text)
{
  std::string t;
  for (char c : text)
    t.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (t == "all_completed" || t == "all")
    return return_when::all_completed;
  if (t == "first_completed" || t == "first")
    return return_when::first_completed;
  if (t == "first_exception" || t == "exception")
    return return_when::first_exception;
  throw std::invalid_argument("herd::parse_return_when: return_when must be all_completed, first_completed or "
                              "first_exception (or all, first, exception), got '" +
                              std::string(text) + "'");
}

} // namespace herd

#endif // HERD_IMPL_WAIT_IPP

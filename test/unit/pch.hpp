// Precompiled for the unit tests: the heavy, stable headers.
#include <boost/asio.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

// Tests for herd/error.hpp.
#include <herd/error.hpp>

#include <boost/test/unit_test.hpp>
#include <string>
#include <system_error>

BOOST_AUTO_TEST_SUITE(error)

BOOST_AUTO_TEST_CASE(category_names_every_code)
{
  const auto& cat = herd::error_category();
  BOOST_TEST(std::string(cat.name()) == "herd");
  BOOST_TEST(cat.message(static_cast<int>(herd::errc::timeout)) == "operation timed out");
  BOOST_TEST(cat.message(static_cast<int>(herd::errc::cancelled)) == "operation cancelled");
  BOOST_TEST(cat.message(static_cast<int>(herd::errc::shutdown)) == "executor shut down");
  BOOST_TEST(cat.message(static_cast<int>(herd::errc::circuit_open)) == "circuit breaker is open");
  BOOST_TEST(cat.message(static_cast<int>(herd::errc::broken_barrier)) == "barrier broken");
  BOOST_TEST(cat.message(static_cast<int>(herd::errc::stream_closed)) == "stream closed");
  BOOST_TEST(cat.message(99).find("99") != std::string::npos);
  BOOST_TEST(static_cast<int>(herd::errc::timeout) == 1);
}

BOOST_AUTO_TEST_CASE(codes_convert_to_boost_and_std)
{
  boost::system::error_code ec = herd::errc::shutdown;
  BOOST_TEST(ec.value() == static_cast<int>(herd::errc::shutdown));
  BOOST_TEST(&ec.category() == &herd::error_category());
  BOOST_TEST((ec == herd::errc::shutdown));
  BOOST_TEST((ec != herd::errc::timeout));

  std::error_code sec = herd::errc::timeout;
  BOOST_TEST((sec == herd::errc::timeout));
  BOOST_TEST((sec != herd::errc::cancelled));
  BOOST_TEST(std::string(sec.category().name()) == "herd");
}

template <class E>
void check_exception(herd::errc code)
{
  try
  {
    throw E();
  }
  catch (const std::system_error& e)
  {
    BOOST_TEST((e.code() == code));
    BOOST_TEST(std::string(e.what()).find(herd::error_category().message(static_cast<int>(code))) !=
               std::string::npos);
    return;
  }
  BOOST_FAIL("not a std::system_error");
}

BOOST_AUTO_TEST_CASE(exceptions_are_system_errors_with_their_codes)
{
  check_exception<herd::timeout_error>(herd::errc::timeout);
  check_exception<herd::cancelled_error>(herd::errc::cancelled);
  check_exception<herd::shutdown_error>(herd::errc::shutdown);
  check_exception<herd::circuit_open_error>(herd::errc::circuit_open);
  herd::timeout_error t("fetching page 3");
  BOOST_TEST(std::string(t.what()).find("fetching page 3") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(aggregate_error_keeps_every_failure_in_order)
{
  std::vector<std::exception_ptr> errors{std::make_exception_ptr(std::runtime_error("first")),
                                         std::make_exception_ptr(herd::timeout_error("second"))};
  herd::aggregate_error agg(errors);
  BOOST_TEST(agg.errors().size() == 2u);
  BOOST_CHECK_THROW(std::rethrow_exception(agg.errors()[0]), std::runtime_error);
  BOOST_CHECK_THROW(std::rethrow_exception(agg.errors()[1]), herd::timeout_error);
  const std::string what = agg.what();
  BOOST_TEST(what.find("2 operation(s) failed") == 0u);
  BOOST_TEST(what.find("first") < what.find("second"));
  const std::runtime_error& base = agg;
  BOOST_TEST(std::string(base.what()) == what);
}

BOOST_AUTO_TEST_SUITE_END()

// Numbers as people read them: shortest form, a cap on significant digits, integers
// as integers, nan and inf spelled alike, durations sized for a person.
#include "base/number_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

namespace torchsweep {
namespace {

TEST(NumberText, ShortestFormWhenItFitsTheCap) {
  EXPECT_EQ(readable_number(0.1), "0.1");
  EXPECT_EQ(readable_number(0.125), "0.125");
  EXPECT_EQ(readable_number(2.5e-7), "2.5e-07");
  EXPECT_EQ(readable_number(-0.75), "-0.75");
  EXPECT_EQ(readable_number(123.456), "123.456");
}

TEST(NumberText, DrawnValuesAreRoundedToSixSignificantDigits) {
  // The drawn learning rate, and 0.1 + 0.2, written out by hand.
  EXPECT_EQ(readable_number(0.23862864348220497), "0.238629");
  EXPECT_EQ(readable_number(0.1 + 0.2), "0.3");
  EXPECT_EQ(readable_number(1.0 / 3.0), "0.333333");
  EXPECT_EQ(readable_number(0.004441332139), "0.00444133");
  EXPECT_EQ(readable_number(1.23456789e-5), "1.23457e-05");
  EXPECT_EQ(readable_number(999.9996), "1000") << "rounding up to a whole number";
  EXPECT_EQ(readable_number(1.0 / 3.0, 3), "0.333");
  EXPECT_EQ(readable_number(1.0 / 3.0, 17), "0.3333333333333333");
}

TEST(NumberText, WholeNumbersAreIntegers) {
  EXPECT_EQ(readable_number(1000.0), "1000");
  EXPECT_EQ(readable_number(1e6), "1000000");
  EXPECT_EQ(readable_number(-42.0), "-42");
  EXPECT_EQ(readable_number(123456789.0), "123456789") << "an integer is exact, whatever the cap";
  EXPECT_EQ(readable_number(-0.0), "0");
  EXPECT_EQ(readable_number(1e20), "1e+20");
}

TEST(NumberText, NanAndInfinitiesAreSpelledOneWay) {
  EXPECT_EQ(readable_number(std::numeric_limits<double>::quiet_NaN()), "nan");
  EXPECT_EQ(readable_number(-std::numeric_limits<double>::quiet_NaN()), "nan") << "never -nan";
  EXPECT_EQ(readable_number(std::copysign(std::nan(""), -1.0)), "nan");
  EXPECT_EQ(readable_number(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(readable_number(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST(NumberText, RoundedTextReadsBackWithinTheCap) {
  for (const double v : {0.7853981633974483, 12345.678901, 9.87654321e-12, 6.02214076e23}) {
    const std::string text = readable_number(v);
    EXPECT_NEAR(std::strtod(text.c_str(), nullptr) / v, 1.0, 5e-6) << text;
  }
}

TEST(NumberText, DurationsAreSizedForAPerson) {
  EXPECT_EQ(readable_duration(0), "0 s");
  EXPECT_EQ(readable_duration(0.000512), "0.512 ms");
  EXPECT_EQ(readable_duration(0.123456789), "123 ms");
  EXPECT_EQ(readable_duration(1.234567891), "1.23 s");
  EXPECT_EQ(readable_duration(12.345678912), "12.3 s");
  EXPECT_EQ(readable_duration(59.99), "1m00s");
  EXPECT_EQ(readable_duration(245.4), "4m05s");
  EXPECT_EQ(readable_duration(3725), "1h02m");
  EXPECT_EQ(readable_duration(3 * 86400 + 4 * 3600 + 10), "3d04h");
  EXPECT_EQ(readable_duration(-1), "-");
  EXPECT_EQ(readable_duration(std::nan("")), "-");
}

}  // namespace
}  // namespace torchsweep

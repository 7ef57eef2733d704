// Tests of the CLI JSON helpers: UTF-8 validation, string escaping, base64, bytes_value.
#include "ctharness/json_writer.hpp"

#include <gtest/gtest.h>

#include "ctharness/base64.hpp"

namespace {

using ctharness::is_valid_utf8;

TEST(Utf8, AcceptsWellFormed) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8(std::string("nul \0 inside", 12)));
  EXPECT_TRUE(is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));  // é € 😀
  EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));                      // U+10FFFF
}

TEST(Utf8, RejectsMalformed) {
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_FALSE(is_valid_utf8("\xc3"));              // truncated
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));          // truncated at end
  EXPECT_FALSE(is_valid_utf8("a\x80"));             // stray continuation
}

TEST(JsonString, EscapesWhatJsonRequires) {
  std::string out;
  static constexpr char kInput[] = "q\" b\\ n\n t\t \x01 \0 \xe2\x80\xa8 \xc3\xa9";
  ctharness::append_json_string(out, std::string(kInput, sizeof kInput - 1));
  EXPECT_EQ(out, "\"q\\\" b\\\\ n\\n t\\t \\u0001 \\u0000 \\u2028 \xc3\xa9\"");
}

TEST(Base64, KnownVectorsAndRoundTrip) {
  EXPECT_EQ(ctharness::base64_encode(""), "");
  EXPECT_EQ(ctharness::base64_encode("f"), "Zg==");
  EXPECT_EQ(ctharness::base64_encode("fo"), "Zm8=");
  EXPECT_EQ(ctharness::base64_encode("foo"), "Zm9v");
  EXPECT_EQ(ctharness::base64_encode("foobar"), "Zm9vYmFy");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(ctharness::base64_decode(ctharness::base64_encode(all)), all);
  EXPECT_FALSE(ctharness::base64_decode("Zg="));
  EXPECT_FALSE(ctharness::base64_decode("Z=g="));
  EXPECT_FALSE(ctharness::base64_decode("Zm9v!A=="));
}

TEST(JsonWriter, NestedStructureAndBytes) {
  std::string out;
  ctharness::JsonWriter w(out);
  w.begin_object();
  w.key("a").value(std::int64_t{-1});
  w.key("b")
      .begin_array()
      .value(true)
      .null()
      .value(std::uint64_t{18446744073709551615ULL})
      .end_array();
  w.key("text").bytes_value("ok");
  w.key("bin").bytes_value("\xff\x00");
  w.key("o").begin_object().end_object();
  w.end_object();
  EXPECT_EQ(out,
            "{\"a\":-1,\"b\":[true,null,18446744073709551615],\"text\":\"ok\","
            "\"bin\":{\"base64\":\"/w==\"},\"o\":{}}");
}

}  // namespace

// Output masking: secrets masked whatever the chunk borders, nothing dropped or reordered,
// counts exact; --redact patterns per line; the notes that record it read back.
#include "ctrecord/output_masker.hpp"

#include <gtest/gtest.h>

#include <random>

#include "ctrecord/errors.hpp"
#include "ctrecord/redaction_note.hpp"
#include "ctreplay/redact_pattern.hpp"

using namespace ctrecord;

namespace {

std::shared_ptr<const MaskRules> secrets(std::vector<std::string> values) {
  auto rules = std::make_shared<MaskRules>();
  rules->secrets = std::move(values);
  std::sort(rules->secrets.begin(), rules->secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return rules;
}

// Feeds `input` in pieces cut at `cuts` (ascending offsets), returns everything emitted.
std::string feed(StreamMasker& masker, std::string_view input, std::vector<std::size_t> cuts) {
  std::string out;
  std::size_t pos = 0;
  cuts.push_back(input.size());
  for (std::size_t cut : cuts) {
    out += masker.push(input.substr(pos, cut - pos));
    pos = cut;
  }
  return out + masker.flush();
}

}  // namespace

TEST(OutputMasker, SecretSplitAtEveryOffsetIsMasked) {
  const std::string secret = "s3cr3t-v4lue";
  const std::string input = "before " + secret + " middle " + secret + " after\n";
  for (std::size_t a = 0; a <= input.size(); ++a) {
    StreamMasker masker(secrets({secret}));
    EXPECT_EQ(feed(masker, input, {a}), "before *** middle *** after\n") << "cut at " << a;
    EXPECT_EQ(masker.counts().secrets_masked, 2u);
  }
  // One byte at a time.
  StreamMasker masker(secrets({secret}));
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
  EXPECT_EQ(feed(masker, input, every), "before *** middle *** after\n");
}

TEST(OutputMasker, HoldsBackOnlyWhatCouldStillBecomeASecret) {
  StreamMasker masker(secrets({"abcdefgh"}));
  EXPECT_EQ(masker.push("hello xyz"), "hello xyz");
  EXPECT_FALSE(masker.holding());
  EXPECT_EQ(masker.push("hello abc"), "hello ");  // "abc" may become the secret
  EXPECT_TRUE(masker.holding());
  EXPECT_EQ(masker.push("dXY"), "abcdXY");  // it did not
  EXPECT_FALSE(masker.holding());
}

TEST(OutputMasker, SecretAtTheVeryEndIsMaskedAndAPrefixFlushedAsIs) {
  StreamMasker masker(secrets({"abcdefgh"}));
  EXPECT_EQ(masker.push("x abcdefgh"), "x ***");
  EXPECT_EQ(masker.push("abcdefg"), "");
  EXPECT_EQ(masker.flush(), "abcdefg");  // the stream ended: not a secret after all
  EXPECT_EQ(masker.counts().secrets_masked, 1u);
}

TEST(OutputMasker, LongestMatchFirstAndOverlapsMaskedAsOne) {
  StreamMasker longest(secrets({"abcdef", "abcdefgh"}));
  EXPECT_EQ(feed(longest, "[abcdefgh] [abcdef]", {}), "[***] [***]");
  EXPECT_EQ(longest.counts().secrets_masked, 2u);
  // Overlapping secrets: no part of either survives.
  StreamMasker overlap(secrets({"abcdef", "defghi"}));
  for (std::size_t cut = 0; cut <= 11; ++cut) {
    StreamMasker masker(secrets({"abcdef", "defghi"}));
    EXPECT_EQ(feed(masker, "<abcdefghi>", {cut}), "<***>") << cut;
  }
}

TEST(OutputMasker, BinaryBytesAreKeptExactly) {
  const std::string secret("\x00\xff\x01token\xfe", 9);
  std::string input;
  for (int i = 0; i < 256; ++i) input += static_cast<char>(i);
  const std::string expected = input + "***" + input;
  input = input + secret + input;
  for (std::size_t cut = 250; cut < 270; ++cut) {
    StreamMasker masker(secrets({secret}));
    EXPECT_EQ(feed(masker, input, {cut}), expected) << cut;
  }
}

TEST(OutputMasker, RandomChunkingNeverChangesTheResult) {
  const std::vector<std::string> values = {"passw0rd!", "passw0rd!!extra", "tok-123456"};
  std::mt19937 random(8);
  std::string input;
  const std::vector<std::string> pieces = {"passw0rd!", "tok-12", "3456", "passw",     "0rd!!extra",
                                           "x",         "\n",     "p",    "tok-123456"};
  for (int i = 0; i < 400; ++i) input += pieces[random() % pieces.size()];
  StreamMasker whole(secrets(values));
  const std::string expected = feed(whole, input, {});
  EXPECT_EQ(expected.find("passw0rd!"), std::string::npos);
  EXPECT_EQ(expected.find("tok-123456"), std::string::npos);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::size_t> cuts;
    for (std::size_t pos = random() % 20; pos < input.size(); pos += 1 + random() % 20) {
      cuts.push_back(pos);
    }
    StreamMasker masker(secrets(values));
    ASSERT_EQ(feed(masker, input, cuts), expected) << "round " << round;
    EXPECT_EQ(masker.counts().secrets_masked, whole.counts().secrets_masked);
  }
}

TEST(OutputMasker, SecretValuesOfTheEnvironment) {
  const auto values = secret_values_of({"API_TOKEN=abcdef", "DB_PASSWORD=short", "HOME=/home/me",
                                        "OTHER_TOKEN=abcdef", "GH_SECRET=0123456789", "KEY"});
  EXPECT_EQ(values, (std::vector<std::string>{"0123456789", "abcdef"}));  // >= 6 bytes, unique
}

TEST(OutputMasker, PatternsMatchWithinLinesAcrossChunks) {
  auto rules = std::make_shared<MaskRules>();
  rules->patterns.push_back(ctreplay::compile_redact_pattern("id=[0-9]+"));
  const std::string input = "a id=123 b id=4567\nid=8 end\nno match\n";
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    StreamMasker masker(rules);
    EXPECT_EQ(feed(masker, input, {cut}), "a *** b ***\n*** end\nno match\n") << cut;
    EXPECT_EQ(masker.counts().pattern_matches, 3u);
  }
  StreamMasker masker(rules);
  EXPECT_EQ(masker.push("done\nid=12"), "done\n");  // the open line waits for its end
  EXPECT_EQ(masker.flush(), "***");
}

TEST(OutputMasker, LongLinesAreMatchedInPieces) {
  auto rules = std::make_shared<MaskRules>();
  rules->patterns.push_back(ctreplay::compile_redact_pattern("x"));
  StreamMasker masker(rules);
  const std::string big(kMaxPatternLine + 1, 'a');
  EXPECT_EQ(masker.push(big), big);  // held no longer than kMaxPatternLine
}

TEST(OutputMasker, BadPatternsAreUsageErrors) {
  EXPECT_THROW(ctreplay::compile_redact_pattern("("), UsageError);
  EXPECT_THROW(ctreplay::compile_redact_pattern(""), UsageError);
  EXPECT_THROW(ctreplay::compile_redact_pattern("a\nb"), UsageError);
}

TEST(OutputMasker, MaskWholeAddsToCounts) {
  MaskCounts counts;
  EXPECT_EQ(mask_whole(*secrets({"abcdefgh"}), "1 abcdefgh 2 abcd", counts), "1 *** 2 abcd");
  EXPECT_EQ(counts.secrets_masked, 1u);
}

TEST(RedactionNote, PatternsReadBack) {
  const std::vector<std::string> patterns = {"id=[0-9]+", "--redact x", ""};
  const std::string note = redaction_start_note(2, {patterns[0], patterns[1]});
  EXPECT_EQ(parse_redaction_start_note(note), (std::vector<std::string>{patterns[0], patterns[1]}));
  EXPECT_EQ(parse_redaction_start_note(redaction_start_note(0, {})), std::vector<std::string>{});
  EXPECT_FALSE(parse_redaction_start_note("some other note"));
  EXPECT_EQ(redaction_summary_note({3, 1}, 2),
            "masked 3 occurrences of 2 secret values, 1 --redact match");
}

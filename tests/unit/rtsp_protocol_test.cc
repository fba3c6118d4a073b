// RTSP as the re-serve speaks it: requests framed from a control connection however the
// network cuts them, digest logins (RFC 2617, as ffmpeg and VLC send them), and access units
// packetised once for every player (RFC 6184 / RFC 7798); where a player asks a recording to
// play from (Range, Scale, ?start=).
#include <gtest/gtest.h>

#include <ctime>

#include "proto/media/rtp_h26x.h"
#include "proto/media/rtp_packet.h"
#include "proto/rtsp/digest.h"
#include "proto/rtsp/rtsp_range.h"
#include "proto/rtsp/rtsp_request.h"

namespace xl {
namespace {

using rtsp::RtspReader;
using rtsp::RtspRequest;

TEST(RtspRequest, RequestsAndInterleavedFramesComeApartWhateverTheChunks) {
  const std::string stream =
      "\r\nOPTIONS rtsp://127.0.0.1:8554/33010201001320000011 RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: VLC\r\n\r\n" +
      std::string("$\x01\x00\x03RR!", 7) +  // an RTCP report on channel 1
      "SET_PARAMETER rtsp://h/x RTSP/1.0\ncseq: 2\nContent-Length: 4\n\nabcd";
  for (size_t chunk : {size_t(1), size_t(7), stream.size()}) {
    RtspReader reader;
    std::vector<std::string> seen;
    RtspRequest r;
    std::string error;
    for (size_t at = 0; at < stream.size(); at += chunk) {
      reader.Append(std::string_view(stream).substr(at, chunk));
      for (RtspReader::Step s; (s = reader.Take(&r, &error)) != RtspReader::Step::kMore;) {
        ASSERT_NE(s, RtspReader::Step::kBroken) << error;
        seen.push_back(s == RtspReader::Step::kInterleaved ? "$" : r.method + "/" + *r.Header("CSEQ") + "/" + r.body);
      }
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"OPTIONS/1/", "$", "SET_PARAMETER/2/abcd"})) << chunk;
  }
}

TEST(RtspRequest, WhatIsNotRtspOrTooBigIsAnErrorNotABuffer) {
  auto broken = [](const std::string& bytes) {
    RtspReader reader;
    reader.Append(bytes);
    RtspRequest r;
    std::string error;
    const auto step = reader.Take(&r, &error);
    return step == RtspReader::Step::kBroken ? error : "not broken";
  };
  EXPECT_NE(broken("GET / HTTP/1.1\r\n\r\n").find("not an RTSP request line"), std::string::npos);
  EXPECT_NE(broken("PLAY x RTSP/1.0\r\nno colon here\r\n\r\n").find("header line"), std::string::npos);
  EXPECT_NE(broken("PLAY x RTSP/1.0\r\nContent-Length: 99999999\r\n\r\n").find("body longer"), std::string::npos);
  EXPECT_NE(broken("PLAY x RTSP/1.0\r\nContent-Length: -1\r\n\r\n").find("Content-Length"), std::string::npos);
  EXPECT_NE(broken("PLAY x RTSP/1.0\r\nX: " + std::string(20000, 'a')).find("head longer"), std::string::npos);
}

TEST(RtspRequest, TheCameraIsTheFirstPathSegment) {
  EXPECT_EQ(rtsp::CameraOfUri("rtsp://127.0.0.1:8554/33010201001320000011"), "33010201001320000011");
  EXPECT_EQ(rtsp::CameraOfUri("rtsp://u@h/33010201001320000011/stream=0"), "33010201001320000011");
  EXPECT_EQ(rtsp::CameraOfUri("rtsp://h/33010201001320000011?start=x"), "33010201001320000011");
  EXPECT_EQ(rtsp::CameraOfUri("/33010201001320000011/"), "33010201001320000011");
  EXPECT_EQ(rtsp::CameraOfUri("rtsp://h"), "");
  EXPECT_EQ(rtsp::CameraOfUri("*"), "");
}

TEST(RtspRange, WallTimesInEveryFormPlayersSendComeToTheSameInstant) {
  const int64_t want = 1796267400000;  // 2026-12-03T03:10:00Z
  EXPECT_EQ(ParseWallTime("20261203T031000Z"), want);
  EXPECT_EQ(ParseWallTime("20261203T031000.25Z"), want + 250);
  EXPECT_EQ(ParseWallTime("2026-12-03T03:10:00Z"), want);
  EXPECT_EQ(ParseWallTime("2026-12-03T11:10:00+08:00"), want);
  EXPECT_EQ(ParseWallTime("2026-12-03T11:10+0800"), want);
  EXPECT_EQ(ParseWallTime("2026-12-03 11:10:00.5 08:00"), want + 500) << "a '+' a query turned into ' '";
  EXPECT_EQ(ParseWallTime("2026-12-02T22:10:00-05:00"), want);
  EXPECT_EQ(ParseWallTime("1796267400000"), want);
  // No zone: the local time zone.
  std::tm tm{};
  tm.tm_year = 126, tm.tm_mon = 11, tm.tm_mday = 3, tm.tm_hour = 3, tm.tm_min = 10, tm.tm_isdst = -1;
  EXPECT_EQ(ParseWallTime("2026-12-03T03:10:00"), int64_t(std::mktime(&tm)) * 1000);
  for (const char* bad :
       {"", "yesterday", "2026-13-03T03:10:00Z", "2026-12-03T24:00:00Z", "2026-12-03T03:60Z", "20261203",
        "2026-12-03T03:10:00Zjunk", "2026-12-03T03:10:00+99:00", "2026-12-03", "99999999999999999999"}) {
    EXPECT_FALSE(ParseWallTime(bad)) << bad;
  }
  EXPECT_EQ(rtsp::ClockTime(want + 250), "20261203T031000.250Z");
  EXPECT_EQ(ParseWallTime(rtsp::ClockTime(want + 7)), want + 7);
}

TEST(RtspRange, NptAndClockRangesScaleAndTheQueryStart) {
  auto r = rtsp::ParseRange("npt=0.000-");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, rtsp::RtspRange::Kind::kNpt);
  EXPECT_EQ(r->from_ms, 0);
  EXPECT_FALSE(r->to_ms);
  r = rtsp::ParseRange("npt=1:02:03.5-70");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->from_ms, 3723500);
  EXPECT_EQ(r->to_ms, 70000);
  r = rtsp::ParseRange("npt=now-");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->from_ms);
  r = rtsp::ParseRange("clock=20261203T031000Z-20261203T032000Z;time=19970123T153600Z");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, rtsp::RtspRange::Kind::kClock);
  EXPECT_EQ(r->from_ms, 1796267400000);
  EXPECT_EQ(r->to_ms, 1796268000000);
  r = rtsp::ParseRange(" clock=2026-12-03T11:10:00+08:00- ");
  ASSERT_TRUE(r) << "the extended form's own dashes are not the divider";
  EXPECT_EQ(r->from_ms, 1796267400000);
  EXPECT_FALSE(r->to_ms);
  for (const char* bad :
       {"", "npt", "npt=abc-", "smpte=10:07:00-10:07:33:05", "clock=yesterday-", "clock=-", "npt=5"}) {
    EXPECT_FALSE(rtsp::ParseRange(bad)) << bad;
  }
  EXPECT_EQ(rtsp::ParseScale("4"), 4.0);
  EXPECT_EQ(rtsp::ParseScale(" 0.5 "), 0.5);
  EXPECT_EQ(rtsp::ParseScale("-1.0"), -1.0);
  EXPECT_FALSE(rtsp::ParseScale("fast"));
  EXPECT_FALSE(rtsp::ParseScale("inf"));
  EXPECT_EQ(rtsp::QueryParam("rtsp://h:8554/cam?start=2026-12-03T11%3A10%3A00%2B08:00&x=1", "start"),
            "2026-12-03T11:10:00+08:00");
  EXPECT_EQ(rtsp::QueryParam("rtsp://h/cam?a=1&start=20261203T031000Z", "start"), "20261203T031000Z");
  EXPECT_FALSE(rtsp::QueryParam("rtsp://h/cam", "start"));
  EXPECT_FALSE(rtsp::QueryParam("rtsp://h/cam?starts=1", "start"));
}

TEST(Digest, ThePlayersAnswerIsCheckedAgainstTheStoredHa1) {
  const std::string ha1 = rtsp::Md5Hex("admin:xueliang:s3cret");
  const std::string uri = "rtsp://127.0.0.1:8554/33010201001320000011";
  const std::string response = rtsp::Md5Hex(ha1 + ":n0nce:" + rtsp::Md5Hex("DESCRIBE:" + uri));
  const std::string header = "Digest username=\"admin\", realm=\"xueliang\", nonce=\"n0nce\", uri=\"" + uri +
                             "\", response=\"" + response + "\"";
  const auto params = rtsp::ParseDigest(header);
  EXPECT_EQ(params.at("username"), "admin");
  EXPECT_TRUE(rtsp::DigestMatches(params, "DESCRIBE", "n0nce", ha1));
  EXPECT_FALSE(rtsp::DigestMatches(params, "PLAY", "n0nce", ha1)) << "another method";
  EXPECT_FALSE(rtsp::DigestMatches(params, "DESCRIBE", "other", ha1)) << "another nonce";
  EXPECT_FALSE(rtsp::DigestMatches(params, "DESCRIBE", "n0nce", rtsp::Md5Hex("admin:xueliang:guess")));
  // qop="auth", as some players send it.
  const std::string qop_response = rtsp::Md5Hex(ha1 + ":n0nce:00000001:c1:auth:" + rtsp::Md5Hex("DESCRIBE:" + uri));
  EXPECT_TRUE(rtsp::DigestMatches(rtsp::ParseDigest("Digest username=admin, nonce=\"n0nce\", uri=\"" + uri +
                                                    "\", qop=auth, nc=00000001, "
                                                    "cnonce=\"c1\", response=\"" +
                                                    qop_response + "\""),
                                  "DESCRIBE", "n0nce", ha1));
  EXPECT_TRUE(rtsp::ParseDigest("Basic YWRtaW46eA==").empty());
}

TEST(RtpH26x, SmallUnitsGoAloneBigOnesInFragmentsAndTheLastCarriesTheMarker) {
  const std::string sps("\x67\x42\xe0\x1f\xaa", 5), pps("\x68\xce\x3c\x80", 4);
  std::string idr("\x65", 1);
  idr += std::string(3000, '\x11');
  const std::string start("\0\0\0\1", 4);
  const std::string au = start + std::string("\x09\xf0", 2) + start + sps + start + pps + start + idr;
  rtp::RtpStreamState state;
  state.ssrc = 0x12345678;
  state.next_seq = 65535;
  const auto packed = rtp::PackAccessUnit(h26x::Codec::kH264, au, {}, 90000, state);
  ASSERT_EQ(packed.starts.size(), 5u);  // SPS, PPS, and the IDR in 3 fragments; no delimiter
  EXPECT_EQ(packed.first_seq, 65535);
  EXPECT_EQ(state.next_seq, 4);
  std::string rebuilt;
  for (size_t i = 0; i < packed.starts.size(); ++i) {
    const std::string_view frame = std::string_view(packed.interleaved).substr(packed.starts[i]);
    ASSERT_EQ(frame[0], '$');
    EXPECT_EQ(frame[1], 0);
    const size_t length = size_t(uint8_t(frame[2])) << 8 | uint8_t(frame[3]);
    auto p = rtp::ParseRtp(frame.substr(4, length));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->ssrc, 0x12345678u);
    EXPECT_EQ(p->timestamp, 90000u);
    EXPECT_EQ(p->marker, i == 4);
    EXPECT_LE(p->payload.size(), rtp::kMaxRtpPayload);
    if (i >= 2) {
      EXPECT_EQ(uint8_t(p->payload[0]), 0x7C);  // FU-A, NRI 3
      EXPECT_EQ(uint8_t(p->payload[1]) & 0x1F, 5);
      EXPECT_EQ(bool(p->payload[1] & 0x80), i == 2);  // start
      EXPECT_EQ(bool(p->payload[1] & 0x40), i == 4);  // end
      rebuilt += std::string(p->payload.substr(2));
    }
  }
  EXPECT_EQ(rebuilt, idr.substr(1));
  EXPECT_EQ(packed.interleaved.size(), packed.starts.back() + 4 + 12 + 2 + (idr.size() - 1 - 2 * 1398));
}

TEST(RtpH26x, H265FragmentsKeepLayerAndTemporalId) {
  std::string idr("\x26\x01", 2);  // IDR_W_RADL (19), TID 1
  idr += std::string(2000, '\x22');
  rtp::RtpStreamState state;
  const auto packed = rtp::PackAccessUnit(h26x::Codec::kH265, std::string("\0\0\1", 3) + idr, {}, 0, state);
  ASSERT_EQ(packed.starts.size(), 2u);
  auto first = rtp::ParseRtp(std::string_view(packed.interleaved).substr(4, packed.starts[1] - 4));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((uint8_t(first->payload[0]) >> 1) & 0x3F, 49);  // FU
  EXPECT_EQ(uint8_t(first->payload[1]), 0x01);              // layer 0, TID 1
  EXPECT_EQ(uint8_t(first->payload[2]), 0x80 | 19);         // start, IDR_W_RADL
}

TEST(RtpH26x, AKeyframeWithoutParameterSetsGetsThemFirst) {
  const std::string start("\0\0\0\1", 4);
  rtp::RtpStreamState state;
  const auto packed =
      rtp::PackAccessUnit(h26x::Codec::kH264, start + std::string("\x65\x88", 2),
                          start + std::string("\x67\x42", 2) + start + std::string("\x68\xce", 2), 0, state);
  ASSERT_EQ(packed.starts.size(), 3u);
  EXPECT_EQ(uint8_t(packed.interleaved[packed.starts[0] + 16]), 0x67);
  EXPECT_EQ(uint8_t(packed.interleaved[packed.starts[2] + 16]), 0x65);
}

}  // namespace
}  // namespace xl

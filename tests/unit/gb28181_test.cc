// GB/T 28181 signalling without sockets: SIP messages through libosip2, digest answers,
// MANSCDP bodies in GB2312, the registrar's whole exchange with a device (live calls too),
// SDP offers and answers, RTP packets.
#include <glib.h>
#include <gtest/gtest.h>

#include "common/wall_time.h"

#include "ingest/gb28181/registrar.h"
#include "proto/gb28181/manscdp.h"
#include "proto/gb28181/mansrtsp.h"
#include "proto/gb28181/ptz.h"
#include "proto/gb28181/sdp.h"
#include "proto/gb28181/sip_message.h"
#include "proto/media/ps_muxer.h"
#include "proto/media/ps_stream.h"
#include "proto/media/rtp_packet.h"

namespace xl::gb28181 {
using rtp::AppendRtp;
using rtp::ParseRtp;
using rtp::RtpPacket;
namespace {

const std::string kRegister =
    "REGISTER sip:34020000002000000001@3402000000 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1234\r\n"
    "From: <sip:34020000001320000001@3402000000>;tag=abc\r\n"
    "To: <sip:34020000001320000001@3402000000>\r\n"
    "Call-ID: 998877@192.168.1.64\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Contact: <sip:34020000001320000001@192.168.1.64:5060>\r\n"
    "Max-Forwards: 70\r\n"
    "Expires: 3600\r\n"
    "Content-Length: 0\r\n\r\n";

TEST(SipMessage, ParsesARegisterAndAnswersIt) {
  auto m = SipMessage::Parse(kRegister);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_TRUE(m->is_request());
  EXPECT_EQ(m->method(), "REGISTER");
  EXPECT_EQ(m->from_user(), "34020000001320000001");
  EXPECT_EQ(m->from_tag(), "abc");
  EXPECT_EQ(m->call_id(), "998877@192.168.1.64");
  EXPECT_EQ(m->cseq(), 1);
  EXPECT_EQ(m->via_branch(), "z9hG4bK1234");
  EXPECT_EQ(m->expires(), 3600);

  SipMessage r = SipMessage::ResponseTo(*m, 401, "Unauthorized");
  r.SetHeader("WWW-Authenticate", "Digest realm=\"3402000000\",nonce=\"n1\",algorithm=MD5");
  auto back = SipMessage::Parse(r.ToString());
  ASSERT_TRUE(back.ok()) << r.ToString();
  EXPECT_FALSE(back->is_request());
  EXPECT_EQ(back->status(), 401);
  EXPECT_EQ(back->call_id(), m->call_id());
  EXPECT_EQ(back->cseq_method(), "REGISTER");
  EXPECT_EQ(back->via_branch(), "z9hG4bK1234");
  ASSERT_TRUE(back->www_authenticate());
  EXPECT_EQ(back->www_authenticate()->nonce, "n1");
  EXPECT_NE(r.ToString().find("Content-Length: 0"), std::string::npos);
}

TEST(SipMessage, RefusesGarbage) {
  for (const std::string& bad :
       {std::string(""), std::string("hello"), std::string("REGISTER\r\n\r\n"), kRegister.substr(0, 60),
        std::string("SIP/2.0 999 Odd\r\n\r\n"), std::string(70000, 'A')}) {
    EXPECT_FALSE(SipMessage::Parse(bad).ok()) << bad.substr(0, 40);
  }
  // Missing CSeq.
  std::string no_cseq = kRegister;
  no_cseq.erase(no_cseq.find("CSeq"), std::string("CSeq: 1 REGISTER\r\n").size());
  EXPECT_FALSE(SipMessage::Parse(no_cseq).ok());
}

TEST(SipMessage, FramesAStream) {
  EXPECT_EQ(SipFrameLength("REGISTER sip:x SIP/2.0\r\nCSeq: 1"), 0);
  EXPECT_EQ(SipFrameLength(kRegister), long(kRegister.size()));
  EXPECT_EQ(SipFrameLength(kRegister + "MESSAGE"), long(kRegister.size()));
  EXPECT_EQ(SipFrameLength("\r\n\r\nREG"), 4);
  const std::string with_body = "MESSAGE sip:a SIP/2.0\r\nl: 5\r\n\r\nhello";
  EXPECT_EQ(SipFrameLength(with_body), long(with_body.size()));
  EXPECT_EQ(SipFrameLength(with_body.substr(0, with_body.size() - 1)), 0);
  EXPECT_EQ(SipFrameLength("MESSAGE sip:a SIP/2.0\r\nContent-Length: -3\r\n\r\n"), -1);
  EXPECT_EQ(SipFrameLength("MESSAGE sip:a SIP/2.0\r\nContent-Length: 99999999\r\n\r\n"), -1);
  EXPECT_EQ(SipFrameLength(std::string(70000, 'x')), -1);
}

TEST(Digest, MatchesRfc2617) {
  DigestCredentials c{"Mufasa",
                      "testrealm@host.com",
                      "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                      "/dir/index.html",
                      "",
                      "MD5",
                      "auth",
                      "00000001",
                      "0a4f113b"};
  EXPECT_EQ(DigestResponse(c, "Circle Of Life", "GET"), "6629fae49393a05397450978507c4ef1");
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
}

std::string Gb2312(const std::string& utf8) {
  gsize n = 0;
  gchar* gb = g_convert(utf8.data(), gssize(utf8.size()), "GB2312", "UTF-8", nullptr, &n, nullptr);
  std::string out(gb, n);
  g_free(gb);
  return out;
}

TEST(Manscdp, ReadsAGb2312CatalogAsUtf8) {
  const std::string body = Gb2312(
      "<?xml version=\"1.0\" encoding=\"GB2312\"?>\n<Response>\n<CmdType>Catalog</CmdType>\n<SN>17</SN>\n"
      "<DeviceID>34020000001110000001</DeviceID>\n<SumNum>3</SumNum>\n<DeviceList Num=\"2\">\n"
      "<Item><DeviceID>34020000001310000001</DeviceID><Name>东村 村口</Name><CivilCode>3301020101</CivilCode>"
      "<ParentID>34020000001110000001</ParentID><Status>ON</Status></Item>\n"
      "<Item><DeviceID>34020000001310000002</DeviceID><Name>西村</Name><CivilCode>3301020102</CivilCode></Item>\n"
      "</DeviceList>\n</Response>\n");
  auto m = ParseManscdp(body);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->root, "Response");
  EXPECT_EQ(m->cmd_type, "Catalog");
  EXPECT_EQ(m->sn, 17);
  EXPECT_EQ(m->sum_num, 3);
  ASSERT_EQ(m->items.size(), 2u);
  EXPECT_EQ(m->items[0].name, "东村 村口");
  EXPECT_EQ(m->items[0].civil_code, "3301020101");
  EXPECT_EQ(m->items[1].name, "西村");

  // What we build reads back the same.
  auto again = ParseManscdp(BuildManscdp(*m));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->items[0].name, "东村 村口");
  EXPECT_EQ(again->sum_num, 3);
}

TEST(Manscdp, RefusesBadBodies) {
  for (const std::string& bad :
       {std::string(""), std::string("<Notify>"), std::string("not xml at all"),
        std::string("<Notify><CmdType>Keepalive</CmdType><DeviceID>1</DeviceID></Notify>"),
        std::string("<Notify><CmdType>Keepalive</CmdType><SN>x</SN><DeviceID>1</DeviceID></Notify>"),
        std::string(
            "<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>1</DeviceID><SumNum>-4</SumNum></Response>"),
        std::string(
            "<!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><Notify><CmdType>&e;</CmdType></Notify>")}) {
    EXPECT_FALSE(ParseManscdp(bad).ok()) << bad;
  }
}

// A device talking to the registrar: what it sends, what comes back.
Manscdp KeepaliveOf(const std::string& device_id, long sn);  // below

class RegistrarTest : public ::testing::Test {
 protected:
  RegistrarTest() : registrar_(Config()) {}
  static GbConfig Config() {
    GbConfig c;
    c.enabled = true;
    c.password = "default-pw";
    c.passwords["34020000001320000002"] = "own-pw";
    c.keepalive_s = 10;
    c.keepalive_misses = 3;
    return c;
  }
  std::string Request(const std::string& method, const std::string& device, long cseq, const std::string& extra,
                      const std::string& body = "") {
    return method +
           " sip:34020000002000000001@3402000000 SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bK" +
           std::to_string(cseq) +
           "\r\n"
           "From: <sip:" +
           device + "@3402000000>;tag=t\r\nTo: <sip:" + device +
           "@3402000000>\r\n"
           "Call-ID: c-" +
           device + "\r\nCSeq: " + std::to_string(cseq) + " " + method + "\r\n" + extra +
           (body.empty() ? "" : "Content-Type: Application/MANSCDP+xml\r\n") +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  Registrar::Output Feed(const std::string& bytes, int64_t now = 1000) { return FeedFrom(bytes, peer_, now); }
  Registrar::Output FeedFrom(const std::string& bytes, const Peer& from, int64_t now = 1000) {
    auto m = SipMessage::Parse(bytes);
    EXPECT_TRUE(m.ok()) << bytes;
    return registrar_.OnMessage(*m, from, now);
  }
  // The REGISTER answering `challenge` with the digest for `password`.
  std::string Answer(const SipMessage& challenge, const std::string& device, const std::string& password) {
    DigestCredentials c = *challenge.www_authenticate();
    c.username = device;
    c.uri = "sip:34020000002000000001@3402000000";
    c.response = DigestResponse(c, password, "REGISTER");
    return Request("REGISTER", device, 2,
                   "Expires: 3600\r\nAuthorization: Digest username=\"" + device + "\",realm=\"" + c.realm +
                       "\",nonce=\"" + c.nonce + "\",uri=\"" + c.uri + "\",response=\"" + c.response +
                       "\",algorithm=MD5\r\n");
  }
  static SipMessage Reply(const Registrar::Output& out, size_t i = 0) {
    EXPECT_GT(out.sends.size(), i);
    return std::move(SipMessage::Parse(out.sends.at(i).second).value());
  }
  // REGISTER, challenge, REGISTER with the digest for `password`; the last output.
  Registrar::Output Register(const std::string& device, const std::string& password,
                             const std::string& expires = "3600") {
    auto challenge = Reply(Feed(Request("REGISTER", device, 1, "Expires: " + expires + "\r\n")));
    EXPECT_EQ(challenge.status(), 401);
    DigestCredentials c = *challenge.www_authenticate();
    c.username = device;
    c.uri = "sip:34020000002000000001@3402000000";
    c.response = DigestResponse(c, password, "REGISTER");
    return Feed(Request("REGISTER", device, 2,
                        "Expires: " + expires + "\r\nAuthorization: Digest username=\"" + device + "\",realm=\"" +
                            c.realm + "\",nonce=\"" + c.nonce + "\",uri=\"" + c.uri + "\",response=\"" + c.response +
                            "\",algorithm=MD5\r\n"));
  }
  static bool Has(const Registrar::Output& out, GbEvent::Kind kind) {
    for (const GbEvent& e : out.events) {
      if (e.kind == kind) return true;
    }
    return false;
  }
  std::string Catalog(long sn, int sum, int first, int count) {
    Manscdp m;
    m.root = "Response";
    m.cmd_type = "Catalog";
    m.sn = sn;
    m.device_id = "34020000001320000001";
    m.sum_num = sum;
    for (int i = first; i < first + count; ++i) {
      m.items.push_back({"3402000000131000000" + std::to_string(i), "通道" + std::to_string(i), "", "", "3301020101",
                         "34020000001320000001", "ON"});
    }
    return BuildManscdp(m);
  }

  Registrar registrar_;
  Peer peer_{"udp", "10.0.0.9", 5060, 0, "10.0.0.1:5060"};
  Peer attacker_{"udp", "10.6.6.6", 5060, 0, "10.0.0.1:5060"};
};

TEST_F(RegistrarTest, UnauthenticatedRegistersKeepNoStateAndResetNoChallenge) {
  // 100,000 REGISTERs from random IDs: each is challenged, none is kept.
  for (int i = 0; i < 100000; ++i) {
    char id[21];
    std::snprintf(id, sizeof id, "3402000000132%07d", i);
    EXPECT_EQ(Reply(FeedFrom(Request("REGISTER", id, 1, ""), attacker_)).status(), 401);
  }
  EXPECT_TRUE(registrar_.devices().empty());
  // A real device, challenged, while a stranger keeps sending REGISTERs under its ID.
  const std::string device = "34020000001320000001";
  SipMessage challenge = Reply(Feed(Request("REGISTER", device, 1, "")));
  for (int i = 0; i < 10; ++i) FeedFrom(Request("REGISTER", device, 1, ""), attacker_);
  EXPECT_EQ(Reply(Feed(Answer(challenge, device, "default-pw"), 2000)).status(), 200);
  EXPECT_TRUE(registrar_.devices().at(device).registered);
  // The challenge was made for that device at that address: it is worth nothing elsewhere.
  SipMessage stolen = Reply(Feed(Request("REGISTER", "34020000001320000003", 1, "")));
  EXPECT_EQ(Reply(FeedFrom(Answer(stolen, "34020000001320000003", "default-pw"), attacker_)).status(), 401);
  // And it lapses.
  SipMessage old = Reply(Feed(Request("REGISTER", "34020000001320000003", 1, "")));
  EXPECT_EQ(Reply(Feed(Answer(old, "34020000001320000003", "default-pw"), 1000 + 6 * 60 * 1000)).status(), 401);
}

TEST_F(RegistrarTest, DigestGuessesAreCutOff) {
  const std::string device = "34020000001320000002";
  for (int i = 0; i < Registrar::kMaxDigestFailures; ++i) {
    EXPECT_EQ(Reply(Register(device, "guess" + std::to_string(i))).status(), 403);
  }
  // Even the right password is not checked now, from that address, for a minute.
  EXPECT_EQ(Reply(Register(device, "own-pw")).status(), 403);
  SipMessage later = Reply(Feed(Request("REGISTER", device, 1, ""), 62000));
  EXPECT_EQ(Reply(Feed(Answer(later, device, "own-pw"), 62000)).status(), 200);
}

TEST_F(RegistrarTest, MessagesCountOnlyFromWhereTheDeviceRegistered) {
  const std::string device = "34020000001320000001";
  Register(device, "default-pw");
  const long sn = registrar_.devices().at(device).catalog_sn;
  EXPECT_TRUE(Has(Feed(Request("MESSAGE", device, 3, "", Catalog(sn, 1, 1, 1))), GbEvent::kCatalog));
  // A spoofed catalog from elsewhere: refused, the channel list unchanged.
  auto spoofed = FeedFrom(Request("MESSAGE", device, 4, "", Catalog(sn + 1, 3, 7, 3)), attacker_);
  EXPECT_EQ(Reply(spoofed).status(), 403);
  EXPECT_FALSE(Has(spoofed, GbEvent::kCatalog));
  ASSERT_EQ(registrar_.devices().at(device).catalog.size(), 1u);
  EXPECT_TRUE(registrar_.devices().at(device).catalog.count("34020000001310000001"));
  // A keepalive from elsewhere does not keep it online either.
  EXPECT_EQ(
      Reply(FeedFrom(Request("MESSAGE", device, 5, "", BuildManscdp(KeepaliveOf(device, 9))), attacker_)).status(),
      403);
  EXPECT_TRUE(Has(registrar_.Tick(40000), GbEvent::kOffline));
}

TEST_F(RegistrarTest, KeepalivesFromANewPortOfItsHostKeepTheDeviceOnlineUntilItsRegistrationEnds) {
  const std::string device = "34020000001320000001";
  Register(device, "default-pw", "60");
  const long sn = registrar_.devices().at(device).catalog_sn;
  Peer renewed = peer_;  // its NAT gave it a new port
  renewed.port = 40123;
  auto first = FeedFrom(Request("MESSAGE", device, 5, "", BuildManscdp(KeepaliveOf(device, 9))), renewed, 25000);
  EXPECT_EQ(Reply(first).status(), 200);
  EXPECT_TRUE(Has(first, GbEvent::kMoved));
  auto again = FeedFrom(Request("MESSAGE", device, 6, "", BuildManscdp(KeepaliveOf(device, 10))), renewed, 50000);
  EXPECT_FALSE(Has(again, GbEvent::kMoved)) << "said once per port";
  EXPECT_FALSE(Has(registrar_.Tick(60000), GbEvent::kOffline)) << "alive: heard 10 s ago";
  EXPECT_EQ(registrar_.devices().at(device).peer.port, 5060) << "still reached where it registered";
  // Only keepalives: a catalog from there is refused.
  EXPECT_EQ(Reply(FeedFrom(Request("MESSAGE", device, 7, "", Catalog(sn + 1, 3, 7, 3)), renewed, 60000)).status(), 403);
  // Without registering from there, its registration ends as it would.
  EXPECT_TRUE(Has(registrar_.Tick(61000 + Registrar::kRegistrationGraceMs), GbEvent::kUnregistered));
  EXPECT_EQ(Reply(FeedFrom(Request("MESSAGE", device, 8, "", BuildManscdp(KeepaliveOf(device, 11))), renewed,
                           62000 + Registrar::kRegistrationGraceMs))
                .status(),
            403);
}

TEST_F(RegistrarTest, ACatalogIsBoundedWhateverItsSumNum) {
  const std::string device = "34020000001320000001";
  Register(device, "default-pw");
  const long sn = registrar_.devices().at(device).catalog_sn;
  Feed(Request("MESSAGE", device, 3, "", Catalog(sn, 2000000000, 1, 2)));
  EXPECT_EQ(registrar_.devices().at(device).catalog_sum, long(Registrar::kMaxCatalogItems));
}

TEST_F(RegistrarTest, ARightDigestRegistersAndAsksForTheCatalog) {
  auto out = Register("34020000001320000001", "default-pw");
  SipMessage ok = Reply(out);
  EXPECT_EQ(ok.status(), 200);
  EXPECT_TRUE(ok.header("Date"));
  EXPECT_TRUE(Has(out, GbEvent::kRegistered));
  EXPECT_TRUE(Has(out, GbEvent::kOnline));
  ASSERT_EQ(out.sends.size(), 3u);  // 200, Catalog query, DeviceInfo query
  SipMessage query = Reply(out, 1);
  EXPECT_EQ(query.method(), "MESSAGE");
  auto body = ParseManscdp(query.body());
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->cmd_type, "Catalog");
  const GbDevice& d = registrar_.devices().at("34020000001320000001");
  EXPECT_TRUE(d.registered);
  EXPECT_TRUE(d.online);

  // The catalog in two parts: complete (one event) only when all four are in.
  const long sn = d.catalog_sn;
  auto part1 = Feed(Request("MESSAGE", "34020000001320000001", 3, "", Catalog(sn, 4, 1, 3)));
  EXPECT_EQ(Reply(part1).status(), 200);
  EXPECT_FALSE(Has(part1, GbEvent::kCatalog));
  auto part2 = Feed(Request("MESSAGE", "34020000001320000001", 4, "", Catalog(sn, 4, 4, 1)));
  EXPECT_TRUE(Has(part2, GbEvent::kCatalog));
  EXPECT_EQ(registrar_.devices().at("34020000001320000001").catalog.size(), 4u);
}

// Catalog queries sent in `out`.
int CatalogQueries(const Registrar::Output& out) {
  int n = 0;
  for (const auto& [peer, bytes] : out.sends) {
    auto m = SipMessage::Parse(bytes);
    if (!m.ok() || !m->is_request()) continue;
    auto body = ParseManscdp(m->body());
    n += body.ok() && body->cmd_type == "Catalog" && body->root == "Query";
  }
  return n;
}

TEST_F(RegistrarTest, CatalogQueriesArePacedWhenManyDevicesRegisterAtOnce) {
  // A power cut ends: more devices register than may be asked at once.
  const int devices = int(Registrar::kMaxQueriesInFlight) + 10;
  int asked = 0;
  for (int i = 0; i < devices; ++i) {
    char id[21];
    std::snprintf(id, sizeof id, "3402000000133%07d", i);  // all with the default password
    asked += CatalogQueries(Register(id, "default-pw"));
  }
  EXPECT_EQ(asked, int(Registrar::kMaxQueriesInFlight));
  // A complete catalog frees a place: the next device is asked at once.
  const std::string first = "34020000001330000000";
  const long sn = registrar_.devices().at(first).catalog_sn;
  auto done = Feed(Request("MESSAGE", first, 3, "", Catalog(sn, 1, 1, 1)));
  EXPECT_TRUE(Has(done, GbEvent::kCatalog));
  EXPECT_EQ(CatalogQueries(done), 1);
  // Unanswered queries free theirs after kQueryTimeoutMs: every device gets asked.
  const int late = CatalogQueries(registrar_.Tick(1000 + Registrar::kQueryTimeoutMs));
  EXPECT_EQ(late, devices - int(Registrar::kMaxQueriesInFlight) - 1);
  asked += 1 + late;
  EXPECT_EQ(asked, devices);
}

TEST_F(RegistrarTest, AWrongPasswordIsRefusedAndReportedOnce) {
  EXPECT_EQ(Reply(Register("34020000001320000002", "default-pw")).status(), 403);  // has its own password
  auto again = Register("34020000001320000002", "still-wrong");
  EXPECT_EQ(Reply(again).status(), 403);
  EXPECT_FALSE(Has(again, GbEvent::kRefused)) << "reported the first time only";
  EXPECT_EQ(Reply(Register("34020000001320000002", "own-pw")).status(), 200);
}

// A device's keepalive MESSAGE body.
Manscdp KeepaliveOf(const std::string& device_id, long sn) {
  Manscdp k;
  k.root = "Notify";
  k.cmd_type = "Keepalive";
  k.sn = sn;
  k.device_id = device_id;
  k.status = "OK";
  return k;
}

TEST_F(RegistrarTest, SilenceTakesADeviceOfflineAndAKeepaliveBringsItBack) {
  Register("34020000001320000001", "default-pw");
  const Manscdp k = KeepaliveOf("34020000001320000001", 5);
  EXPECT_EQ(Reply(Feed(Request("MESSAGE", "34020000001320000001", 3, "", BuildManscdp(k)), 11000)).status(), 200);
  EXPECT_FALSE(Has(registrar_.Tick(40000), GbEvent::kOffline)) << "29 s after the keepalive: still within 3 × 10 s";
  EXPECT_TRUE(Has(registrar_.Tick(41001), GbEvent::kOffline));
  EXPECT_FALSE(registrar_.devices().at("34020000001320000001").online);
  EXPECT_TRUE(Has(Feed(Request("MESSAGE", "34020000001320000001", 4, "", BuildManscdp(k)), 42000), GbEvent::kOnline));
}

TEST_F(RegistrarTest, ARegistrationOutlivesItsExpiresByAGraceForALateRefresh) {
  Register("34020000001320000001", "default-pw", "4");  // at 1 s: expires at 5 s
  EXPECT_FALSE(Has(registrar_.Tick(5000 + Registrar::kRegistrationGraceMs - 1), GbEvent::kUnregistered));
  EXPECT_TRUE(registrar_.devices().at("34020000001320000001").registered);
  EXPECT_TRUE(Has(registrar_.Tick(5000 + Registrar::kRegistrationGraceMs), GbEvent::kUnregistered));
  EXPECT_FALSE(registrar_.devices().at("34020000001320000001").registered);
}

TEST_F(RegistrarTest, ExpiresZeroUnregistersAndStrangersAreRefused) {
  Register("34020000001320000001", "default-pw");
  auto gone = Register("34020000001320000001", "default-pw", "0");
  EXPECT_EQ(Reply(gone).status(), 200);
  EXPECT_TRUE(Has(gone, GbEvent::kUnregistered));
  const Manscdp k = KeepaliveOf("34020000001320000001", 5);
  EXPECT_EQ(Reply(Feed(Request("MESSAGE", "34020000001320000001", 9, "", BuildManscdp(k)))).status(), 403);
  EXPECT_EQ(Reply(Feed(Request("MESSAGE", "34020000001320000001", 9, "", "<garbage"))).status(), 400);
  EXPECT_EQ(Reply(Feed(Request("REGISTER", "12345", 1, ""))).status(), 400);
}

TEST_F(RegistrarTest, ALiveCallIsOfferedAnsweredAcknowledgedAndHungUp) {
  const std::string device = "34020000001320000001";
  Register(device, "default-pw");
  Feed(Request("MESSAGE", device, 3, "", Catalog(registrar_.devices().at(device).catalog_sn, 1, 1, 1)));
  const std::string channel = "34020000001310000001";
  std::string call_id;
  EXPECT_FALSE(
      registrar_.Invite({device, "34020000001310009999", "10.0.0.1", 30000, "udp", "0200000001"}, 2000, &call_id).ok())
      << "no such channel";
  auto offered = registrar_.Invite({device, channel, "10.0.0.1", 30000, "tcp", "0200000001"}, 2000, &call_id);
  ASSERT_TRUE(offered.ok()) << offered.error().message;
  SipMessage invite = Reply(offered.value());
  EXPECT_EQ(invite.method(), "INVITE");
  EXPECT_EQ(invite.request_user(), channel);
  EXPECT_EQ(invite.header("Subject"), channel + ":0200000001,34020000002000000001:0");
  auto offer = ParseSdp(invite.body());
  ASSERT_TRUE(offer.ok()) << offer.error().message;
  EXPECT_EQ(offer->session, "Play");
  EXPECT_EQ(offer->port, 30000);
  EXPECT_EQ(offer->transport, "tcp");
  EXPECT_EQ(offer->setup, "passive");
  EXPECT_EQ(offer->direction, "recvonly");
  EXPECT_EQ(offer->ssrc, "0200000001");
  EXPECT_NE(invite.body().find("a=rtpmap:96 PS/90000"), std::string::npos);

  // The device answers 200 with its SDP: ACK in the dialog, and the answer reported.
  SipMessage ok = SipMessage::ResponseTo(invite, 200, "OK");
  MediaDescription answer{channel, "Play", "10.0.0.9", 9, "tcp", "active", "sendonly", "0200000001"};
  ok.SetBody(BuildSdp(answer), "APPLICATION/SDP");
  auto answered = Feed(ok.ToString());
  ASSERT_EQ(answered.calls.size(), 1u);
  EXPECT_EQ(answered.calls[0].kind, CallEvent::kAnswered);
  EXPECT_EQ(answered.calls[0].answer.ip, "10.0.0.9");
  SipMessage ack = Reply(answered);
  EXPECT_EQ(ack.method(), "ACK");
  EXPECT_EQ(ack.call_id(), call_id);
  EXPECT_EQ(ack.to_tag(), ok.to_tag());
  EXPECT_EQ(ack.cseq(), invite.cseq());
  EXPECT_TRUE(Feed(ok.ToString()).calls.empty()) << "a retransmitted 200 is ACKed, not reported again";

  // The platform hangs up: BYE in the dialog; the call is gone.
  auto bye = registrar_.Bye(call_id);
  SipMessage b = Reply(bye);
  EXPECT_EQ(b.method(), "BYE");
  EXPECT_EQ(b.from_tag(), invite.from_tag());
  EXPECT_EQ(b.to_tag(), ok.to_tag());
  EXPECT_EQ(b.cseq(), invite.cseq() + 1);
  EXPECT_EQ(registrar_.calls(), 0u);
}

// A 200 whose SDP cannot be used: ACKed, then hung up in the same dialog — the INVITE's
// Call-ID and tags and the next CSeq. (The BYE once carried freed bytes as its Call-ID: the
// device could not parse it and stayed in the call.)
TEST_F(RegistrarTest, AnUnusableAnswerIsAcknowledgedAndHungUpInItsOwnDialog) {
  const std::string device = "34020000001320000001";
  Register(device, "default-pw");
  std::string call_id;
  SipMessage invite =
      Reply(registrar_.Invite({device, device, "10.0.0.1", 30000, "udp", "0200000001"}, 2000, &call_id).value());
  SipMessage ok = SipMessage::ResponseTo(invite, 200, "OK");
  ok.SetBody("v=0\r\no=- 0 0 IN IP4 10.0.0.9\r\ns=Play\r\nt=0 0\r\n", "application/sdp");  // no m=video
  auto answered = Feed(ok.ToString());
  ASSERT_EQ(answered.calls.size(), 1u);
  EXPECT_EQ(answered.calls[0].kind, CallEvent::kFailed);
  EXPECT_NE(answered.calls[0].detail.find("unusable"), std::string::npos) << answered.calls[0].detail;
  ASSERT_EQ(answered.sends.size(), 2u);
  EXPECT_EQ(Reply(answered, 0).method(), "ACK");
  SipMessage bye = Reply(answered, 1);
  EXPECT_EQ(bye.method(), "BYE");
  EXPECT_EQ(bye.call_id(), call_id);
  EXPECT_EQ(bye.from_tag(), invite.from_tag());
  EXPECT_EQ(bye.to_tag(), ok.to_tag());
  EXPECT_EQ(bye.cseq(), invite.cseq() + 1);
  EXPECT_EQ(registrar_.calls(), 0u);
}

TEST_F(RegistrarTest, CallsEndOnRefusalSilenceOrTheDevicesBye) {
  const std::string device = "34020000001320000001";
  Register(device, "default-pw");
  std::string refused, silent, hung;
  SipMessage i1 =
      Reply(registrar_.Invite({device, device, "10.0.0.1", 30000, "udp", "0200000001"}, 2000, &refused).value());
  auto no = Feed(SipMessage::ResponseTo(i1, 486, "Busy Here").ToString());
  ASSERT_EQ(no.calls.size(), 1u);
  EXPECT_EQ(no.calls[0].kind, CallEvent::kFailed);
  EXPECT_NE(no.calls[0].detail.find("486"), std::string::npos);

  registrar_.Invite({device, device, "10.0.0.1", 30002, "udp", "0200000002"}, 2000, &silent);
  EXPECT_TRUE(registrar_.Tick(11000).calls.empty());
  auto timeout = registrar_.Tick(12001);
  ASSERT_EQ(timeout.calls.size(), 1u);
  EXPECT_EQ(timeout.calls[0].call_id, silent);
  EXPECT_EQ(timeout.calls[0].detail, "no answer to INVITE");

  SipMessage i3 =
      Reply(registrar_.Invite({device, device, "10.0.0.1", 30004, "udp", "0200000003"}, 20000, &hung).value());
  SipMessage ok = SipMessage::ResponseTo(i3, 200, "OK");
  ok.SetBody(BuildSdp({device, "Play", "10.0.0.9", 40000, "udp", "", "sendonly", "0200000003"}), "APPLICATION/SDP");
  Feed(ok.ToString());
  const std::string bye =
      "BYE sip:34020000002000000001@3402000000 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKbye\r\n"
      "From: <sip:" +
      device + "@3402000000>;tag=" + ok.to_tag() +
      "\r\n"
      "To: <sip:34020000002000000001@3402000000>;tag=" +
      i3.from_tag() +
      "\r\n"
      "Call-ID: " +
      hung + "\r\nCSeq: 7 BYE\r\nContent-Length: 0\r\n\r\n";
  auto ended = Feed(bye);
  EXPECT_EQ(Reply(ended).status(), 200);
  ASSERT_EQ(ended.calls.size(), 1u);
  EXPECT_EQ(ended.calls[0].kind, CallEvent::kEnded);
  EXPECT_EQ(Reply(Feed(bye)).status(), 481) << "a second BYE: no such call";
  EXPECT_FALSE(
      registrar_
          .Invite({"34020000001320000009", "34020000001320000009", "10.0.0.1", 1, "udp", "0200000004"}, 20000, &hung)
          .ok())
      << "not registered";
}

class CallLimitTest : public RegistrarTest {
 protected:
  const std::string device_ = "34020000001320000001";
  std::string Channel(int i) { return "3402000000131000000" + std::to_string(i); }
  void SetUp() override {
    Register(device_, "default-pw");
    Feed(Request("MESSAGE", device_, 3, "", Catalog(registrar_.devices().at(device_).catalog_sn, 4, 1, 4)));
    ASSERT_TRUE(registrar_.devices().at(device_).catalog_complete);
  }
  CallRequest For(int i) {
    return {device_, Channel(i), "10.0.0.1", 30000 + 2 * i, "udp", "020000000" + std::to_string(i)};
  }
  // The device answers `invite` 200 with its SDP; the output (ACK, call event).
  Registrar::Output Answer200(const SipMessage& invite, int64_t now) {
    SipMessage ok = SipMessage::ResponseTo(invite, 200, "OK");
    ok.SetBody(BuildSdp({invite.request_user(), "Play", "10.0.0.9", 40000, "udp", "", "sendonly", "0200000001"}),
               "APPLICATION/SDP");
    return Feed(ok.ToString(), now);
  }
  static std::vector<SipMessage> Requests(const Registrar::Output& out, const std::string& method) {
    std::vector<SipMessage> found;
    for (const auto& [peer, bytes] : out.sends) {
      auto m = SipMessage::Parse(bytes);
      if (m.ok() && m->is_request() && m->method() == method) found.push_back(std::move(*m));
    }
    return found;
  }
};

// A device that takes one call at a time and silently ignores a second INVITE: after
// kIgnoredInviteMs the platform takes its limit as 1, the second call waits (and says so),
// and is INVITEd — in a new dialog — when the first ends.
TEST_F(CallLimitTest, ADeviceThatIgnoresASecondInviteIsTakenOneCallAtATime) {
  std::string first, second;
  SipMessage i1 = Reply(registrar_.Invite(For(1), 2000, &first).value());
  ASSERT_EQ(Answer200(i1, 2100).calls.at(0).kind, CallEvent::kAnswered);
  SipMessage i2 = Reply(registrar_.Invite(For(2), 2200, &second).value());
  EXPECT_EQ(i2.request_user(), Channel(2));
  EXPECT_FALSE(registrar_.Waiting(second)) << "INVITEd: not waiting";
  auto early = registrar_.Tick(2200 + Registrar::kIgnoredInviteMs - 100);
  EXPECT_TRUE(early.events.empty() && early.calls.empty());
  auto learned = registrar_.Tick(2200 + Registrar::kIgnoredInviteMs + 100);
  EXPECT_TRUE(Has(learned, GbEvent::kCallLimit));
  EXPECT_TRUE(learned.calls.empty()) << "not a failure: the call waits";
  EXPECT_EQ(registrar_.devices().at(device_).max_calls, 1);
  ASSERT_TRUE(registrar_.Waiting(second));
  EXPECT_NE(registrar_.Waiting(second)->find("waiting for the device"), std::string::npos);
  // A third call waits too, and stays waiting past every timeout.
  std::string third;
  EXPECT_TRUE(Requests(registrar_.Invite(For(3), 7000, &third).value(), "INVITE").empty());
  EXPECT_TRUE(registrar_.Tick(30000).calls.empty());
  EXPECT_EQ(registrar_.WaitingCalls(device_), 2);
  // The first call ends: the one waiting longest is INVITEd in a new dialog and answered.
  auto bye = registrar_.Bye(first, 31000);
  ASSERT_EQ(Requests(bye, "BYE").size(), 1u);
  auto invites = Requests(bye, "INVITE");
  ASSERT_EQ(invites.size(), 1u);
  EXPECT_EQ(invites[0].request_user(), Channel(2));
  EXPECT_NE(invites[0].call_id(), i2.call_id()) << "a new dialog";
  auto answered = Answer200(invites[0], 31100);
  ASSERT_EQ(answered.calls.size(), 1u);
  EXPECT_EQ(answered.calls[0].call_id, second) << "reported under the call's own ID";
  EXPECT_FALSE(registrar_.Waiting(second));
  EXPECT_TRUE(registrar_.Waiting(third));
  // It registers anew (unregistered first, as on a restart): its limit is learned again.
  Register(device_, "default-pw", "0");
  Register(device_, "default-pw");
  EXPECT_EQ(registrar_.devices().at(device_).max_calls, 4);
}

TEST_F(CallLimitTest, AnInviteIsSentAgainOverUdpUntilTheDeviceSaysSomething) {
  std::string call;
  SipMessage invite = Reply(registrar_.Invite(For(1), 2000, &call).value());
  EXPECT_TRUE(registrar_.Tick(2000 + Registrar::kInviteResendMs - 1).sends.empty());
  auto again = registrar_.Tick(2000 + Registrar::kInviteResendMs);
  ASSERT_EQ(Requests(again, "INVITE").size(), 1u);
  EXPECT_EQ(Requests(again, "INVITE")[0].ToString(), invite.ToString()) << "the same request: same branch, CSeq";
  EXPECT_TRUE(Requests(registrar_.Tick(2000 + 2 * Registrar::kInviteResendMs), "INVITE").empty()) << "doubling";
  EXPECT_EQ(Requests(registrar_.Tick(2000 + 3 * Registrar::kInviteResendMs), "INVITE").size(), 1u);
  Feed(SipMessage::ResponseTo(invite, 100, "Trying").ToString(), 3600);
  EXPECT_TRUE(Requests(registrar_.Tick(9000), "INVITE").empty()) << "it answered: no more";
}

TEST_F(CallLimitTest, BusyHereWhileCallsRunIsALimitNotAFailure) {
  std::string a, b, c;
  Answer200(Reply(registrar_.Invite(For(1), 2000, &a).value()), 2000);
  Answer200(Reply(registrar_.Invite(For(2), 2000, &b).value()), 2000);
  SipMessage i3 = Reply(registrar_.Invite(For(3), 2000, &c).value());
  auto busy = Feed(SipMessage::ResponseTo(i3, 486, "Busy Here").ToString(), 2100);
  EXPECT_TRUE(busy.calls.empty());
  EXPECT_TRUE(Has(busy, GbEvent::kCallLimit));
  EXPECT_EQ(registrar_.devices().at(device_).max_calls, 2);
  EXPECT_TRUE(registrar_.Waiting(c));
  // A device BYE frees a place: the waiting call goes on the next tick.
  auto invites = Requests(registrar_.Tick(2200), "INVITE");
  EXPECT_TRUE(invites.empty()) << "still full";
}

// One call at a time, configured: a watched channel takes the place of an unwatched one,
// which waits and comes back when the watched call ends.
TEST_F(RegistrarTest, AWatchedChannelTakesTheOnlyCallFromAnUnwatchedOne) {
  GbConfig config = Config();
  config.device_max_calls["34020000001320000001"] = 1;
  registrar_ = Registrar(config);
  const std::string device = "34020000001320000001";
  Register(device, "default-pw");
  Feed(Request("MESSAGE", device, 3, "", Catalog(registrar_.devices().at(device).catalog_sn, 2, 1, 2)));
  std::string analysed, watched;
  SipMessage i1 =
      Reply(registrar_.Invite({device, "34020000001310000001", "10.0.0.1", 30000, "udp", "0200000001"}, 2000, &analysed)
                .value());
  SipMessage ok = SipMessage::ResponseTo(i1, 200, "OK");
  ok.SetBody(BuildSdp({device, "Play", "10.0.0.9", 40000, "udp", "", "sendonly", "0200000001"}), "APPLICATION/SDP");
  Feed(ok.ToString(), 2100);
  auto unwatched = registrar_.Invite({device, "34020000001310000002", "10.0.0.1", 30002, "udp", "0200000002"}, 3000,
                                     &watched, false);
  EXPECT_TRUE(unwatched->sends.empty()) << "the device is full: it waits";
  EXPECT_NE(registrar_.Waiting(watched)->find("1 call at a time"), std::string::npos) << *registrar_.Waiting(watched);
  auto now_watched = registrar_.SetWatched(watched, true, 4000);
  ASSERT_EQ(now_watched.sends.size(), 2u);
  SipMessage bye = Reply(now_watched, 0), invite = Reply(now_watched, 1);
  EXPECT_EQ(bye.method(), "BYE");
  EXPECT_EQ(bye.call_id(), i1.call_id());
  EXPECT_EQ(invite.method(), "INVITE");
  EXPECT_EQ(invite.request_user(), "34020000001310000002");
  EXPECT_NE(registrar_.Waiting(analysed)->find("went to watched channel 34020000001310000002"), std::string::npos);
  SipMessage ok2 = SipMessage::ResponseTo(invite, 200, "OK");
  ok2.SetBody(BuildSdp({device, "Play", "10.0.0.9", 40002, "udp", "", "sendonly", "0200000002"}), "APPLICATION/SDP");
  EXPECT_EQ(Feed(ok2.ToString(), 4100).calls.at(0).kind, CallEvent::kAnswered);
  EXPECT_TRUE(registrar_.Tick(20000).calls.empty()) << "a displaced call never fails for waiting";
  // The watched call ends: the displaced one is called again.
  auto back = registrar_.Bye(watched, 21000);
  ASSERT_EQ(back.sends.size(), 2u);
  EXPECT_EQ(Reply(back, 1).request_user(), "34020000001310000001");
}

TEST_F(RegistrarTest, CatalogsWithDuplicatesOrAWrongSumNumComplete) {
  const std::string device = "34020000001320000001";
  Register(device, "default-pw");
  long sn = registrar_.devices().at(device).catalog_sn;
  // Duplicates: SumNum 3 counts the repeated item; 2 channels.
  Feed(Request("MESSAGE", device, 3, "", Catalog(sn, 3, 1, 2)));
  auto dup = Feed(Request("MESSAGE", device, 4, "", Catalog(sn, 3, 2, 1)));
  EXPECT_TRUE(Has(dup, GbEvent::kCatalog));
  EXPECT_EQ(registrar_.devices().at(device).catalog.size(), 2u);

  // A fresh query (the device registers anew): SumNum 9, 3 items come, then nothing: complete
  // after kCatalogQuietMs, and the channels held meanwhile stay callable.
  Register(device, "default-pw", "0");
  Register(device, "default-pw");
  sn = registrar_.devices().at(device).catalog_sn;
  EXPECT_EQ(registrar_.devices().at(device).catalog.size(), 2u) << "kept until the new one is complete";
  std::string call;
  EXPECT_TRUE(
      registrar_.Invite({device, "34020000001310000001", "10.0.0.1", 30000, "udp", "0200000001"}, 1000, &call).ok());
  Feed(Request("MESSAGE", device, 5, "", Catalog(sn, 9, 1, 3)), 5000);
  EXPECT_FALSE(Has(registrar_.Tick(5000 + Registrar::kCatalogQuietMs - 1), GbEvent::kCatalog));
  auto quiet = registrar_.Tick(5000 + Registrar::kCatalogQuietMs);
  ASSERT_TRUE(Has(quiet, GbEvent::kCatalog));
  EXPECT_EQ(registrar_.devices().at(device).catalog.size(), 3u);
  EXPECT_TRUE(registrar_.devices().at(device).catalog_complete);

  // SumNum too small: complete at 1, and a later part of the same catalog adds its channels.
  Register(device, "default-pw", "0");
  Register(device, "default-pw");
  sn = registrar_.devices().at(device).catalog_sn;
  EXPECT_TRUE(Has(Feed(Request("MESSAGE", device, 6, "", Catalog(sn, 1, 1, 1)), 9000), GbEvent::kCatalog));
  auto more = Feed(Request("MESSAGE", device, 7, "", Catalog(sn, 1, 2, 3)), 9100);
  EXPECT_TRUE(Has(more, GbEvent::kCatalog));
  EXPECT_EQ(registrar_.devices().at(device).catalog.size(), 4u);
}

// RecordInfo (§A.2.4.7): the device's recordings of a channel come in several MESSAGEs; the
// answer is whole once SumNum items came, or after a quiet spell, or empty after no answer.
TEST_F(RegistrarTest, RecordInfoIsGatheredOverSeveralMessagesUntilSumNumOrSilence) {
  const std::string device = "34020000001320000001", channel = "34020000001310000001";
  Register(device, "default-pw");
  const long catalog = registrar_.devices().at(device).catalog_sn;
  Feed(Request("MESSAGE", device, 3, "", Catalog(catalog, 1, 1, 1)));
  ASSERT_TRUE(registrar_.devices().at(device).catalog.count(channel));
  const int64_t t0 = 1796256000000;  // 2026-12-03T00:00:00Z
  long query = 0;
  auto asked = registrar_.QueryRecords(device, channel, t0, t0 + 3600000, 2000, &query);
  ASSERT_TRUE(asked.ok());
  auto q = ParseManscdp(Reply(*asked).body());
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->root, "Query");
  EXPECT_EQ(q->cmd_type, "RecordInfo");
  EXPECT_EQ(q->device_id, channel);
  EXPECT_EQ(q->sn, query);
  EXPECT_EQ(ParseWallTime(q->start_time), t0) << q->start_time;
  EXPECT_EQ(ParseWallTime(q->end_time), t0 + 3600000) << q->end_time;
  auto part = [&](long sn, long sum, std::vector<std::pair<int64_t, int64_t>> spans, bool space = false) {
    Manscdp m;
    m.root = "Response";
    m.cmd_type = "RecordInfo";
    m.sn = sn;
    m.device_id = channel;
    m.sum_num = sum;
    for (auto [from, to] : spans) {
      RecordItem r;
      r.device_id = channel;
      r.name = "通道1";
      r.start_time = GbTime(from);
      r.end_time = GbTime(to);
      if (space) r.start_time[10] = ' ', r.end_time[10] = ' ';
      r.file_path = "/rec/" + std::to_string(from);
      m.records.push_back(r);
    }
    return BuildManscdp(m);
  };
  // Three of three, in two messages (the second with a space for 'T', as some firmware
  // writes), the second repeated: one answer, oldest first, no duplicate.
  auto first = Feed(Request("MESSAGE", device, 4, "", part(query, 3, {{t0 + 600000, t0 + 1200000}})), 2100);
  EXPECT_TRUE(first.records.empty());
  auto second = Feed(
      Request("MESSAGE", device, 5, "", part(query, 3, {{t0, t0 + 600000}, {t0 + 1800000, t0 + 2400000}}, true)), 2200);
  ASSERT_EQ(second.records.size(), 1u);
  const RecordsResult& r = second.records[0];
  EXPECT_EQ(r.query, query);
  EXPECT_TRUE(r.complete);
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.items[0].start_ms, t0);
  EXPECT_EQ(r.items[0].end_ms, t0 + 600000);
  EXPECT_EQ(r.items[1].start_ms, t0 + 600000);
  EXPECT_EQ(r.items[2].end_ms, t0 + 2400000);
  EXPECT_EQ(r.items[0].name, "通道1");
  EXPECT_TRUE(Feed(Request("MESSAGE", device, 6, "", part(query, 3, {{t0, t0 + 600000}})), 2300).records.empty())
      << "a part after the answer changes nothing";

  // SumNum 5, two came, then silence: answered with what came, not complete, after the quiet spell.
  ASSERT_TRUE(registrar_.QueryRecords(device, channel, t0, t0 + 3600000, 3000, &query).ok());
  Feed(Request("MESSAGE", device, 7, "", part(query, 5, {{t0, t0 + 60000}, {t0 + 60000, t0 + 120000}})), 3100);
  EXPECT_TRUE(registrar_.Tick(3100 + Registrar::kCatalogQuietMs - 1).records.empty());
  auto quiet = registrar_.Tick(3100 + Registrar::kCatalogQuietMs);
  ASSERT_EQ(quiet.records.size(), 1u);
  EXPECT_FALSE(quiet.records[0].complete);
  EXPECT_EQ(quiet.records[0].items.size(), 2u);
  EXPECT_NE(quiet.records[0].detail.find("2 of SumNum 5"), std::string::npos) << quiet.records[0].detail;

  // Nothing recorded: SumNum 0 and no list is a whole, empty answer.
  ASSERT_TRUE(registrar_.QueryRecords(device, channel, t0, t0 + 3600000, 4000, &query).ok());
  auto none = Feed(Request("MESSAGE", device, 8, "", part(query, 0, {})), 4100);
  ASSERT_EQ(none.records.size(), 1u);
  EXPECT_TRUE(none.records[0].complete);
  EXPECT_TRUE(none.records[0].items.empty());

  // No answer at all: an empty, incomplete answer after kRecordQueryTimeoutMs.
  ASSERT_TRUE(registrar_.QueryRecords(device, channel, t0, t0 + 3600000, 5000, &query).ok());
  EXPECT_TRUE(registrar_.Tick(5000 + Registrar::kRecordQueryTimeoutMs - 1).records.empty());
  auto silent = registrar_.Tick(5000 + Registrar::kRecordQueryTimeoutMs);
  ASSERT_EQ(silent.records.size(), 1u);
  EXPECT_FALSE(silent.records[0].complete);
  EXPECT_NE(silent.records[0].detail.find("did not answer"), std::string::npos);

  // A channel the device does not have, or an unknown device: an error, nothing sent.
  EXPECT_FALSE(registrar_.QueryRecords(device, "34020000001310000099", t0, t0 + 1, 6000, &query).ok());
  EXPECT_FALSE(registrar_.QueryRecords("34020000001320000099", channel, t0, t0 + 1, 6000, &query).ok());
}

TEST(Manscdp, ReadsRecordInfoAsDevicesWriteIt) {
  // As a Hikvision NVR answers (fields in its order, FileSize, no FilePath), GB2312.
  const std::string body =
      "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Response>\r\n<CmdType>RecordInfo</CmdType>\r\n"
      "<SN>17430</SN>\r\n<DeviceID>34020000001310000001</DeviceID>\r\n<Name>Camera 01</Name>\r\n"
      "<SumNum>2</SumNum>\r\n<RecordList Num=\"2\">\r\n<Item>\r\n<DeviceID>34020000001310000001</DeviceID>\r\n"
      "<Name>Camera 01</Name>\r\n<StartTime>2026-12-03T08:00:00</StartTime>\r\n"
      "<EndTime>2026-12-03T08:30:00</EndTime>\r\n<Secrecy>0</Secrecy>\r\n<Type>time</Type>\r\n"
      "<FileSize>536870912</FileSize>\r\n</Item>\r\n<Item>\r\n<DeviceID>34020000001310000001</DeviceID>\r\n"
      "<StartTime>2026-12-03 08:30:00</StartTime>\r\n<EndTime></EndTime>\r\n<Type>alarm</Type>\r\n"
      "</Item>\r\n</RecordList>\r\n</Response>\r\n";
  auto m = ParseManscdp(body);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->sum_num, 2);
  ASSERT_EQ(m->records.size(), 2u);
  EXPECT_EQ(m->records[0].start_ms, *ParseWallTime("2026-12-03T08:00:00"));
  EXPECT_EQ(m->records[0].end_ms - m->records[0].start_ms, 1800000);
  EXPECT_EQ(m->records[0].file_size, 536870912);
  EXPECT_EQ(m->records[1].start_ms, *ParseWallTime("2026-12-03T08:30:00")) << "a space for the 'T'";
  EXPECT_EQ(m->records[1].end_ms, -1) << "no end: kept, unreadable";
  EXPECT_EQ(m->records[1].type, "alarm");
  // Built and read back.
  const std::string built = BuildManscdp(*m);
  auto again = ParseManscdp(built);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->records.size(), 2u);
  EXPECT_EQ(again->records[0].start_ms, m->records[0].start_ms);
  EXPECT_EQ(again->records[0].name, "Camera 01");
}

TEST_F(RegistrarTest, ADigestUriOfTheDevicesOwnChoiceIsVerifiedAsSent) {
  // Devices put their From URI, or our Request-URI with its address, in uri=: verified
  // against what they sent, as RFC 2617 servers do.
  for (const std::string uri : {"sip:34020000001320000001@3402000000", "sip:34020000002000000001@10.0.0.1:5060"}) {
    auto challenge = Reply(Feed(Request("REGISTER", "34020000001320000001", 1, "Expires: 3600\r\n")));
    DigestCredentials c = *challenge.www_authenticate();
    c.username = "34020000001320000001";
    c.uri = uri;
    c.response = DigestResponse(c, "default-pw", "REGISTER");
    auto out =
        Feed(Request("REGISTER", c.username, 2,
                     "Expires: 3600\r\nAuthorization: Digest username=\"" + c.username + "\",realm=\"" + c.realm +
                         "\",nonce=\"" + c.nonce + "\",uri=\"" + uri + "\",response=\"" + c.response + "\"\r\n"));
    EXPECT_EQ(Reply(out).status(), 200) << uri;
  }
}

TEST(Manscdp, ReadsGbkDeclaredAsGb2312AndUndeclaredGbk) {
  // "堃" is GBK, not GB2312: devices that declare GB2312 write it all the same.
  gsize n = 0;
  const std::string utf8 =
      "<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>34020000001110000001</DeviceID><SumNum>1</SumNum>"
      "<DeviceList Num=\"1\"><Item><DeviceID>34020000001310000001</DeviceID><Name>堃村 村口</Name></Item>"
      "</DeviceList></Response>";
  gchar* gbk = g_convert(utf8.data(), gssize(utf8.size()), "GBK", "UTF-8", nullptr, &n, nullptr);
  ASSERT_NE(gbk, nullptr);
  const std::string body(gbk, n);
  g_free(gbk);
  for (const std::string& head : {std::string("<?xml version=\"1.0\" encoding=\"GB2312\"?>\n"),
                                  std::string("<?xml version='1.0' encoding='gbk'?>"), std::string()}) {
    auto m = ParseManscdp(head + body);
    ASSERT_TRUE(m.ok()) << head << m.error().message;
    ASSERT_EQ(m->items.size(), 1u);
    EXPECT_EQ(m->items[0].name, "堃村 村口") << head;
  }
}

TEST(Sdp, RefusesWhatCannotCarryVideoAndReadsShortSsrcs) {
  EXPECT_FALSE(ParseSdp("").ok());
  EXPECT_FALSE(ParseSdp("hello").ok());
  const std::string head = "v=0\r\no=x 0 0 IN IP4 1.2.3.4\r\ns=Play\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n";
  EXPECT_FALSE(ParseSdp(head).ok()) << "no video";
  EXPECT_FALSE(ParseSdp(head + "m=video 0 RTP/AVP 96\r\n").ok()) << "no port";
  EXPECT_FALSE(ParseSdp(head + "m=video 5000 RTP/SAVP 96\r\n").ok()) << "not plain RTP";
  EXPECT_EQ(ParseSdp(head + "m=video 5000 RTP/AVP/TCP 96\r\n")->transport, "tcp") << "as some devices write it";
  EXPECT_EQ(ParseSdp(head + "m=video 5000 RTP/AVP/UDP 96\r\n")->transport, "udp");
  EXPECT_FALSE(ParseSdp(head + "m=video 5000 RTP/AVP 96\r\ny=01000000012\r\n").ok()) << "11 digits";
  EXPECT_FALSE(ParseSdp(head + "m=video 5000 RTP/AVP 96\r\ny=4294967296\r\n").ok()) << "33 bits";
  EXPECT_FALSE(ParseSdp(head + "m=video 5000 RTP/AVP 96\r\ny=0x1234\r\n").ok()) << "not decimal";
  auto ok = ParseSdp(head + "m=video 5000 RTP/AVP 96\r\na=sendonly\r\ny=0100000001\r\n");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->direction, "sendonly");
  EXPECT_EQ(ok->ssrc, "0100000001");
  // As many devices write it: the number without its leading zero.
  auto short_ssrc = ParseSdp(head + "m=video 5000 RTP/AVP 96\r\ny=200000001\r\n");
  ASSERT_TRUE(short_ssrc.ok()) << short_ssrc.error().message;
  EXPECT_EQ(short_ssrc->ssrc, "0200000001");
  EXPECT_EQ(GbSsrc("3402000000", 12), "0200000012");
  EXPECT_EQ(GbSsrc("3402000000", 10012), "0200000012");
}

// Recordings (§9.8, §9.9): s=Playback/Download with u= and t= in Unix seconds, downloadspeed
// offered, filesize answered; t= in NTP seconds (RFC 4566's own clock) read as the same time.
TEST(Sdp, CarriesARecordingsRangeAndDownloadSpeed) {
  MediaDescription offer{"34020000002000000001", "Download", "10.0.0.1", 30000, "udp", "", "recvonly", "1200000001"};
  offer.uri = "34020000001310000001:0";
  offer.start_s = 1796264400;
  offer.end_s = 1796268000;
  offer.download_speed = 4;
  const std::string text = BuildSdp(offer);
  EXPECT_NE(text.find("s=Download\r\nu=34020000001310000001:0\r\nc="), std::string::npos) << text;
  EXPECT_NE(text.find("t=1796264400 1796268000\r\n"), std::string::npos) << text;
  auto back = ParseSdp(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->session, "Download");
  EXPECT_EQ(back->uri, offer.uri);
  EXPECT_EQ(back->start_s, offer.start_s);
  EXPECT_EQ(back->end_s, offer.end_s);
  EXPECT_EQ(back->download_speed, 4);
  EXPECT_EQ(back->ssrc, "1200000001");

  const std::string head = "v=0\r\no=x 0 0 IN IP4 1.2.3.4\r\ns=Playback\r\nc=IN IP4 1.2.3.4\r\n";
  auto ntp = ParseSdp(head + "t=4005253200 4005256800\r\nm=video 5000 RTP/AVP 96\r\na=filesize:123456\r\n");
  ASSERT_TRUE(ntp.ok()) << ntp.error().message;
  EXPECT_EQ(ntp->start_s, 1796264400);
  EXPECT_EQ(ntp->end_s, 1796268000);
  EXPECT_EQ(ntp->file_size, 123456);
  EXPECT_FALSE(ParseSdp(head + "t=0 0\r\nm=video 5000 RTP/AVP 96\r\na=downloadspeed:fast\r\n").ok());
  EXPECT_EQ(GbSsrc("3402000000", 7, true), "1200000007");
}

TEST(MansRtsp, BuildsStrictlyAndReadsWhatDevicesAndPlatformsWrite) {
  EXPECT_EQ(BuildMansRtsp({"PLAY", 2, 0, 120}), "PLAY MANSRTSP/1.0\r\nCSeq: 2\r\nRange: npt=120.0-\r\n");
  EXPECT_EQ(BuildMansRtsp({"PLAY", 3, 4, -1}), "PLAY MANSRTSP/1.0\r\nCSeq: 3\r\nScale: 4.0\r\nRange: npt=now-\r\n");
  EXPECT_EQ(BuildMansRtsp({"PAUSE", 4, 0, -1}), "PAUSE MANSRTSP/1.0\r\nCSeq: 4\r\nPauseTime: now\r\n");
  for (const MansRtsp& m :
       {MansRtsp{"PLAY", 2, 0.25, 12.5}, MansRtsp{"PAUSE", 9, 0, -1}, MansRtsp{"PLAY", 1, 16, -1}}) {
    auto back = ParseMansRtsp(BuildMansRtsp(m));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->method, m.method);
    EXPECT_EQ(back->cseq, m.cseq);
    EXPECT_DOUBLE_EQ(back->scale, m.scale);
    EXPECT_DOUBLE_EQ(back->range_start_s, m.range_start_s);
  }
  // As platforms write it: lower-case names, LF only, RTSP/1.0, h:mm:ss.
  auto loose = ParseMansRtsp("play RTSP/1.0\ncseq: 7\nscale: 2\nrange: npt=0:01:30-\n\n");
  ASSERT_TRUE(loose.ok()) << loose.error().message;
  EXPECT_EQ(loose->method, "PLAY");
  EXPECT_EQ(loose->cseq, 7);
  EXPECT_DOUBLE_EQ(loose->scale, 2);
  EXPECT_DOUBLE_EQ(loose->range_start_s, 90);
  EXPECT_FALSE(ParseMansRtsp("").ok());
  EXPECT_FALSE(ParseMansRtsp("GET / HTTP/1.1\r\n").ok()) << "not a MANSRTSP method";
  EXPECT_FALSE(ParseMansRtsp("PLAY MANSRTSP/1.0\r\nScale: 2\r\n").ok()) << "no CSeq";
  EXPECT_FALSE(ParseMansRtsp("PLAY MANSRTSP/1.0\r\nCSeq: x\r\n").ok());
  EXPECT_FALSE(ParseMansRtsp("PLAY MANSRTSP/1.0\r\nCSeq: 1\r\nScale: fast\r\n").ok());
  EXPECT_FALSE(ParseMansRtsp("PLAY MANSRTSP/1.0\r\nCSeq: 1\r\nRange: smpte=0:0:1-\r\n").ok());
}

// A device's recording as a call: INVITE s=Playback with u= and t=, steered by INFO in its
// dialog (CSeq counting on, the BYE above them), MediaStatus 121 reported as finished.
TEST_F(RegistrarTest, APlaybackIsInvitedSteeredByInfoAndReportedFinished) {
  const std::string device = "34020000001320000001";
  Register(device, "default-pw");
  Feed(Request("MESSAGE", device, 3, "", Catalog(registrar_.devices().at(device).catalog_sn, 1, 1, 1)));
  const std::string channel = "34020000001310000001";
  CallRequest request{device, channel, "10.0.0.1", 30000, "udp", "1200000001"};
  request.session = "Playback";
  request.start_ms = 1796264400000;
  request.end_ms = 1796264460500;
  std::string call_id;
  auto offered = registrar_.Invite(request, 2000, &call_id);
  ASSERT_TRUE(offered.ok()) << offered.error().message;
  SipMessage invite = Reply(offered.value());
  auto offer = ParseSdp(invite.body());
  ASSERT_TRUE(offer.ok()) << offer.error().message;
  EXPECT_EQ(offer->session, "Playback");
  EXPECT_EQ(offer->uri, channel + ":0");
  EXPECT_EQ(offer->start_s, 1796264400);
  EXPECT_EQ(offer->end_s, 1796264461) << "the end rounded up: the last half second is asked for too";
  EXPECT_EQ(offer->ssrc, "1200000001");
  EXPECT_FALSE(registrar_.Info(call_id, {"PAUSE", 0, 0, -1}).ok()) << "not answered yet";

  SipMessage ok = SipMessage::ResponseTo(invite, 200, "OK");
  MediaDescription answer{channel, "Playback", "10.0.0.9", 9, "udp", "", "sendonly", "1200000001"};
  ok.SetBody(BuildSdp(answer), "APPLICATION/SDP");
  ASSERT_EQ(Feed(ok.ToString()).calls.size(), 1u);

  long last_cseq = invite.cseq();
  long control = 0;
  for (const MansRtsp& step : {MansRtsp{"PAUSE", 0, 0, -1}, MansRtsp{"PLAY", 0, 4, -1}, MansRtsp{"PLAY", 0, 0, 30}}) {
    auto sent = registrar_.Info(call_id, step);
    ASSERT_TRUE(sent.ok()) << sent.error().message;
    SipMessage info = Reply(sent.value());
    EXPECT_EQ(info.method(), "INFO");
    EXPECT_EQ(info.call_id(), call_id);
    EXPECT_EQ(info.from_tag(), invite.from_tag());
    EXPECT_EQ(info.to_tag(), ok.to_tag());
    EXPECT_GT(info.cseq(), last_cseq) << "each request of the dialog a CSeq above the last";
    last_cseq = info.cseq();
    EXPECT_EQ(info.content_type(), "application/mansrtsp");
    auto body = ParseMansRtsp(info.body());
    ASSERT_TRUE(body.ok()) << body.error().message;
    EXPECT_EQ(body->method, step.method);
    EXPECT_DOUBLE_EQ(body->scale, step.scale);
    EXPECT_DOUBLE_EQ(body->range_start_s, step.range_start_s);
    EXPECT_EQ(body->cseq, ++control) << "MANSRTSP counts its own CSeq";
  }

  // The device has sent it all: MediaStatus 121, in the dialog or outside it.
  Manscdp status;
  status.root = "Notify";
  status.cmd_type = "MediaStatus";
  status.sn = 77;
  status.device_id = channel;
  status.notify_type = "121";
  std::string in_dialog = Request("MESSAGE", device, 9, "", BuildManscdp(status));
  in_dialog.replace(in_dialog.find("Call-ID: c-" + device), 11 + device.size(), "Call-ID: " + call_id);
  for (const std::string& message : {in_dialog, Request("MESSAGE", device, 10, "", BuildManscdp(status))}) {
    auto finished = Feed(message);
    ASSERT_EQ(finished.calls.size(), 1u) << message;
    EXPECT_EQ(finished.calls[0].kind, CallEvent::kFinished);
    EXPECT_EQ(finished.calls[0].call_id, call_id);
  }
  EXPECT_EQ(registrar_.calls(), 1u) << "the call stays up until the platform hangs up";

  SipMessage bye = Reply(registrar_.Bye(call_id));
  EXPECT_EQ(bye.method(), "BYE");
  EXPECT_EQ(bye.cseq(), last_cseq + 1);

  // A live call is not steered.
  std::string live_id;
  auto live = registrar_.Invite({device, channel, "10.0.0.1", 30002, "udp", "0200000002"}, 3000, &live_id);
  ASSERT_TRUE(live.ok());
  EXPECT_FALSE(registrar_.Info(live_id, {"PAUSE", 0, 0, -1}).ok());
}

TEST(Ps, AStreamWithoutAnyMapStartsAtAKeyframeWithAMapMadeForItsCodec) {
  const ps::PackExtras no_map{false, std::string(320, '\xd5')};  // and G.711 audio beside
  const std::string delta = ps::MuxPsPack(std::string("\0\0\0\1\x41\x9a", 6), false, "h264", 3600, 3600, no_map);
  const std::string key264 =
      ps::MuxPsPack(std::string("\0\0\0\1\x67\x42\0\0\0\1\x65\x88", 12), true, "h264", 7200, 7200, no_map);
  const std::string key265 =
      ps::MuxPsPack(std::string("\0\0\0\1\x40\x01\0\0\0\1\x26\x01", 12), true, "h265", 7200, 7200, no_map);
  EXPECT_TRUE(ps::FromFirstStreamMap(key264).empty()) << "no map sent";
  EXPECT_TRUE(ps::FromFirstKeyframeWithGuessedMap(delta).empty()) << "no keyframe";
  const std::string from264 = ps::FromFirstKeyframeWithGuessedMap(delta + key264);
  EXPECT_EQ(from264.substr(0, 4), std::string("\0\0\1\xBA", 4));
  EXPECT_NE(from264.find(ps::StreamMap("h264")), std::string::npos);
  EXPECT_EQ(from264.size(), key264.size() + ps::StreamMap("h264").size());
  EXPECT_NE(ps::FromFirstKeyframeWithGuessedMap(key265).find(ps::StreamMap("h265")), std::string::npos);
}

TEST(Ps, AStreamJoinedLateStartsAtThePackWithTheStreamMap) {
  const std::string delta = ps::MuxPsPack(std::string("\0\0\0\1\x41\x9a", 6), false, "h264", 3600, 3600);
  const std::string key = ps::MuxPsPack(std::string("\0\0\0\1\x65\x88", 6), true, "h264", 7200, 7200);
  EXPECT_TRUE(ps::FromFirstStreamMap(delta).empty()) << "a pack without a stream map";
  EXPECT_EQ(ps::FromFirstStreamMap(delta + key), key);
  const size_t map = key.find(std::string("\0\0\1\xBC", 4));
  ASSERT_NE(map, std::string::npos);
  EXPECT_EQ(ps::FromFirstStreamMap(std::string_view(key).substr(map)), key.substr(map)) << "no pack header before it";
  EXPECT_TRUE(ps::FromFirstStreamMap("").empty());
}

TEST(Rtp, ParsesHeadersAndRefusesWhatRunsPastThePacket) {
  RtpPacket p;
  p.payload_type = 96;
  p.marker = true;
  p.seq = 65535;
  p.timestamp = 0x89abcdef;
  p.ssrc = 200000011;
  p.payload = "PS bytes";
  std::string bytes;
  AppendRtp(bytes, p);
  auto back = ParseRtp(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->seq, 65535);
  EXPECT_EQ(back->timestamp, 0x89abcdefu);
  EXPECT_EQ(back->ssrc, 200000011u);
  EXPECT_TRUE(back->marker);
  EXPECT_EQ(back->payload, "PS bytes");

  std::string csrc_ext_pad = bytes.substr(0, 12) + std::string(8, '\1') + std::string("\xbe\xde\x00\x01", 4) +
                             std::string(4, '\2') + "PS" + std::string("\0\0\3", 3);
  csrc_ext_pad[0] = char(0x80 | 0x20 | 0x10 | 2);
  auto full = ParseRtp(csrc_ext_pad);
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_EQ(full->payload, "PS");

  EXPECT_FALSE(ParseRtp(bytes.substr(0, 11)).ok());
  std::string v1 = bytes;
  v1[0] = 0x40;
  EXPECT_FALSE(ParseRtp(v1).ok());
  std::string many_csrc = bytes.substr(0, 12);
  many_csrc[0] = char(0x8f);
  EXPECT_FALSE(ParseRtp(many_csrc).ok());
  std::string long_ext = bytes.substr(0, 12) + std::string("\xbe\xde\xff\xff", 4);
  long_ext[0] = char(0x90);
  EXPECT_FALSE(ParseRtp(long_ext).ok());
  std::string bad_pad = bytes;
  bad_pad[0] = char(0xa0);
  bad_pad.back() = char(200);
  EXPECT_FALSE(ParseRtp(bad_pad).ok());
}
}  // namespace
}  // namespace xl::gb28181

namespace xl::gb28181 {
namespace {

TEST(Ptz, CommandsCarryTheRightBytesAndChecksum) {
  EXPECT_EQ(PtzCmd(PtzAction::kLeft, 0x1F).value(), "A50F01021F1F00F5");
  EXPECT_EQ(PtzCmd(PtzAction::kStop, 0x80).value(), "A50F0100000000B5");
  EXPECT_EQ(PtzCmd(PtzAction::kUp, 0x40).value(), "A50F01084040003D");
  EXPECT_EQ(PtzCmd(PtzAction::kZoomIn, 0xF0).value(), "A50F01100000F0B5");
  EXPECT_EQ(PtzCmd(PtzAction::kPresetGoto, 0, 3).value(), "A50F01820003003A");
  EXPECT_FALSE(PtzCmd(PtzAction::kLeft, 300).ok());
  EXPECT_FALSE(PtzCmd(PtzAction::kPresetGoto, 0, 0).ok());
  EXPECT_EQ(ParsePtzAction("zoom_out").value(), PtzAction::kZoomOut);
  EXPECT_FALSE(ParsePtzAction("spin").ok());
}

}  // namespace
}  // namespace xl::gb28181

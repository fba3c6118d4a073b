#include "proto/media/rtp_h26x.h"

#include <glib.h>

#include <cstdio>

#include "proto/media/rtp_packet.h"

namespace xl::rtp {

namespace {

std::string Base64(const std::string& bytes) {
  gchar* b = g_base64_encode(reinterpret_cast<const guchar*>(bytes.data()), bytes.size());
  std::string out(b);
  g_free(b);
  return out;
}
// Appends one interleaved frame holding an RTP packet whose payload is `head` + `body`.
void AppendPacket(RtpAccessUnit& au, RtpStreamState& state, bool marker, std::string_view head, std::string_view body) {
  std::string& out = au.interleaved;
  au.starts.push_back(uint32_t(out.size()));
  const size_t length = 12 + head.size() + body.size();
  out += '$';
  out += char(0);
  out += char(length >> 8);
  out += char(length & 0xff);
  RtpPacket p;
  p.payload_type = state.payload_type;
  p.marker = marker;
  p.seq = state.next_seq++;
  p.timestamp = au.timestamp;
  p.ssrc = state.ssrc;
  AppendRtp(out, p);
  out.append(head);
  out.append(body);
}
}  // namespace

RtpAccessUnit PackAccessUnit(h26x::Codec codec, std::string_view annexb, std::string_view prefix, uint32_t timestamp,
                             RtpStreamState& state) {
  RtpAccessUnit au;
  au.first_seq = state.next_seq;
  au.timestamp = timestamp;
  std::vector<std::string_view> nals = h26x::SplitAnnexB(prefix);
  for (std::string_view n : h26x::SplitAnnexB(annexb)) nals.push_back(n);
  const size_t header = codec == h26x::Codec::kH264 ? 1 : 2;
  const int aud = codec == h26x::Codec::kH264 ? 9 : 35;
  // Left out: delimiters, and the types the codecs leave unspecified, which the RTP payload
  // formats use for their own packets (H.264 24-31, H.265 48-63): a player would misread them.
  const int rtp_own = codec == h26x::Codec::kH264 ? 24 : 48;
  std::erase_if(nals, [&](std::string_view n) {
    const int type = n.size() <= header ? -1 : h26x::NalType(codec, n);
    return type < 0 || type == aud || type >= rtp_own;
  });
  au.interleaved.reserve(annexb.size() + prefix.size() + (annexb.size() / kMaxRtpPayload + nals.size() + 1) * 19);
  for (size_t i = 0; i < nals.size(); ++i) {
    const std::string_view nal = nals[i];
    const bool last = i + 1 == nals.size();
    if (nal.size() <= kMaxRtpPayload) {
      AppendPacket(au, state, last, {}, nal);
      continue;
    }
    const int type = h26x::NalType(codec, nal);
    std::string_view rest = nal.substr(header);
    char fu[3] = {0, 0, 0};
    size_t fu_size;
    if (codec == h26x::Codec::kH264) {
      fu[0] = char((uint8_t(nal[0]) & 0xE0) | 28);  // FU-A indicator: F, NRI of the unit
      fu[1] = char(type);
      fu_size = 2;
    } else {
      fu[0] = char((uint8_t(nal[0]) & 0x81) | (49 << 1));  // FU type 49, layer and TID kept
      fu[1] = nal[1];
      fu[2] = char(type);
      fu_size = 3;
    }
    const size_t chunk = kMaxRtpPayload - fu_size;
    for (bool start = true; !rest.empty(); start = false) {
      const std::string_view piece = rest.substr(0, chunk);
      rest.remove_prefix(piece.size());
      char h[3] = {fu[0], fu[1], fu[2]};
      char& bits = h[fu_size - 1];
      bits = char(uint8_t(bits) | (start ? 0x80 : 0) | (rest.empty() ? 0x40 : 0));
      AppendPacket(au, state, last && rest.empty(), std::string_view(h, fu_size), piece);
    }
  }
  return au;
}

std::string SdpFmtp(h26x::Codec codec, const h26x::ParameterSets& ps) {
  if (codec == h26x::Codec::kH264) {
    std::string profile = "42e01f";
    if (ps.sps.size() >= 4) {
      char hex[7];
      std::snprintf(hex, sizeof hex, "%02x%02x%02x", uint8_t(ps.sps[1]), uint8_t(ps.sps[2]), uint8_t(ps.sps[3]));
      profile = hex;
    }
    return "packetization-mode=1;profile-level-id=" + profile + ";sprop-parameter-sets=" + Base64(ps.sps) + "," +
           Base64(ps.pps);
  }
  return "sprop-vps=" + Base64(ps.vps) + ";sprop-sps=" + Base64(ps.sps) + ";sprop-pps=" + Base64(ps.pps);
}

}  // namespace xl::rtp

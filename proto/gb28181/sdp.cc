#include "proto/gb28181/sdp.h"

#include <gst/sdp/sdp.h>

#include <algorithm>
#include <cstdio>
#include <memory>

namespace xl::gb28181 {
namespace {

// A count of decimal digits (at most 18; leading and trailing blanks allowed).
bool ReadCount(std::string_view text, int64_t* out) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string_view::npos) return false;
  *out = std::stoll(std::string(text));
  return true;
}

// A t= time: Unix seconds as GB/T 28181 writes them, or NTP seconds (from 1900) as RFC 4566
// does and some platforms copy.
bool ReadTime(std::string_view text, int64_t* out) {
  if (!ReadCount(text, out)) return false;
  constexpr int64_t kNtpToUnix = 2208988800;               // seconds from 1900 to 1970
  if (*out >= kNtpToUnix + 946684800) *out -= kNtpToUnix;  // past 2000 read as NTP: convert
  return true;
}

}  // namespace

std::string BuildSdp(const MediaDescription& m) {
  const bool tcp = m.transport == "tcp";
  std::string s = "v=0\r\n";
  s += "o=" + m.owner + " 0 0 IN IP4 " + m.ip + "\r\n";
  s += "s=" + m.session + "\r\n";
  if (!m.uri.empty()) s += "u=" + m.uri + "\r\n";
  s += "c=IN IP4 " + m.ip + "\r\n";
  s += "t=" + std::to_string(m.start_s) + " " + std::to_string(m.end_s) + "\r\n";
  s += "m=video " + std::to_string(m.port) + (tcp ? " TCP/RTP/AVP" : " RTP/AVP") + " 96\r\n";
  s += "a=" + m.direction + "\r\n";
  s += "a=rtpmap:96 PS/90000\r\n";
  if (tcp) s += "a=setup:" + m.setup + "\r\na=connection:new\r\n";
  if (m.download_speed > 0) s += "a=downloadspeed:" + std::to_string(m.download_speed) + "\r\n";
  if (m.file_size >= 0) s += "a=filesize:" + std::to_string(m.file_size) + "\r\n";
  s += "y=" + m.ssrc + "\r\n";
  return s;
}

Result<MediaDescription> ParseSdp(std::string_view text) {
  struct Free {
    void operator()(GstSDPMessage* m) const { gst_sdp_message_free(m); }
  };
  GstSDPMessage* raw = nullptr;
  gst_sdp_message_new(&raw);
  std::unique_ptr<GstSDPMessage, Free> sdp(raw);
  if (text.empty() || gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(text.data()), guint(text.size()),
                                                   raw) != GST_SDP_OK) {
    return Error{"SDP: not SDP"};
  }
  MediaDescription m;
  if (const GstSDPOrigin* o = gst_sdp_message_get_origin(raw); o && o->username) m.owner = o->username;
  if (const char* s = gst_sdp_message_get_session_name(raw)) m.session = s;
  if (const char* u = gst_sdp_message_get_uri(raw)) m.uri = u;
  if (const GstSDPConnection* c = gst_sdp_message_get_connection(raw); c && c->address) m.ip = c->address;
  const GstSDPMedia* video = nullptr;
  for (guint i = 0; i < gst_sdp_message_medias_len(raw); ++i) {
    const GstSDPMedia* media = gst_sdp_message_get_media(raw, i);
    if (media->media && std::string(media->media) == "video") {
      video = media;
      break;
    }
  }
  if (!video) return Error{"SDP: no m=video line"};
  if (m.ip.empty() && gst_sdp_media_connections_len(video) > 0) {
    const GstSDPConnection* c = gst_sdp_media_get_connection(video, 0);
    if (c && c->address) m.ip = c->address;
  }
  if (m.ip.empty()) return Error{"SDP: no connection address (c=)"};
  m.port = int(gst_sdp_media_get_port(video));
  if (m.port <= 0 || m.port > 65535) return Error{"SDP: the video port is not 1 to 65535"};
  const std::string proto = gst_sdp_media_get_proto(video) ? gst_sdp_media_get_proto(video) : "";
  // We write RTP/AVP or TCP/RTP/AVP; devices also write RTP/AVP/TCP, RTP/AVP/UDP, UDP/RTP/AVP.
  if (proto == "RTP/AVP" || proto == "RTP/AVP/UDP" || proto == "UDP/RTP/AVP") {
    m.transport = "udp";
  } else if (proto == "TCP/RTP/AVP" || proto == "RTP/AVP/TCP") {
    m.transport = "tcp";
  } else {
    return Error{"SDP: video transport '" + proto + "' is not RTP/AVP over UDP or TCP"};
  }
  if (const char* setup = gst_sdp_media_get_attribute_val(video, "setup")) m.setup = setup;
  for (const char* name : {"downloadspeed", "filesize"}) {
    const char* value = gst_sdp_media_get_attribute_val(video, name);
    if (!value) value = gst_sdp_message_get_attribute_val(raw, name);
    int64_t n = 0;
    if (value && !ReadCount(value, &n)) return Error{std::string("SDP: a=") + name + " is not a number"};
    if (!value) continue;
    if (name[0] == 'd') m.download_speed = int(std::min<int64_t>(n, 1000));
    else m.file_size = n;
  }
  for (const char* dir : {"recvonly", "sendonly", "sendrecv", "inactive"}) {
    if (gst_sdp_media_get_attribute_val(video, dir) || gst_sdp_message_get_attribute_val(raw, dir)) m.direction = dir;
  }
  // y= (a line of its own, anywhere) and t= (GStreamer's parser keeps no times), from the text.
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > 2 && line.substr(0, 2) == "y=") m.ssrc = std::string(line.substr(2));
    if (line.size() > 2 && line.substr(0, 2) == "t=") {
      const std::string_view times = line.substr(2);
      const size_t space = times.find(' ');
      if (space == std::string_view::npos || !ReadTime(times.substr(0, space), &m.start_s) ||
          !ReadTime(times.substr(space + 1), &m.end_s)) {
        return Error{"SDP: t= is not two times in seconds"};
      }
    }
    at = end + 1;
  }
  // GB/T 28181 writes 10 digits; many devices write the number without its leading zero
  // ("y=200000001" for 0200000001). Read it as the 32-bit number it is.
  if (!m.ssrc.empty()) {
    if (m.ssrc.size() > 10 || m.ssrc.find_first_not_of("0123456789") != std::string::npos) {
      return Error{"SDP: y= must be a decimal SSRC of at most 10 digits, not '" + m.ssrc.substr(0, 16) + "'"};
    }
    if (std::stoull(m.ssrc) > 0xFFFFFFFFull) return Error{"SDP: y= " + m.ssrc + " is more than 32 bits"};
    m.ssrc.insert(0, 10 - m.ssrc.size(), '0');
  }
  return m;
}

std::string GbSsrc(const std::string& realm, uint32_t serial, bool history) {
  const std::string domain = realm.size() >= 8 ? realm.substr(3, 5) : "00000";
  char tail[8];
  std::snprintf(tail, sizeof tail, "%04u", serial % 10000);
  return (history ? "1" : "0") + domain + tail;
}

}  // namespace xl::gb28181

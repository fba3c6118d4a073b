#include "proto/media/ps_rtp.h"

#include "proto/media/rtp_packet.h"

namespace xl::rtp {

void PsRtpPacketizer::Packetize(std::string_view pack, uint32_t timestamp,
                                const std::function<void(std::string&& packet)>& emit) {
  RtpPacket p;
  p.payload_type = 96;
  p.timestamp = timestamp;
  p.ssrc = ssrc_;
  for (size_t at = 0; at < pack.size(); at += kMaxPayload) {
    p.seq = seq_++;
    p.payload = pack.substr(at, kMaxPayload);
    p.marker = at + kMaxPayload >= pack.size();
    std::string packet;
    AppendRtp(packet, p);
    ++packets_;
    emit(std::move(packet));
  }
}

std::string Rfc4571Frame(std::string_view packet) {
  std::string framed;
  framed.reserve(packet.size() + 2);
  framed.push_back(char(packet.size() >> 8));
  framed.push_back(char(packet.size() & 0xff));
  framed.append(packet);
  return framed;
}

}  // namespace xl::rtp

#include "proto/gb28181/sip_message.h"

#include <osipparser2/osip_md5.h>
#include <osipparser2/osip_parser.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>

namespace xl::gb28181 {

namespace {

void InitParserOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    parser_init();
    // libosip2 would print a trace line for each malformed message; ours are counted instead.
    osip_trace_initialize_func(END_TRACE_LEVEL, [](const char*, int, osip_trace_level_t, const char*, va_list) {});
    for (int level = 0; level < END_TRACE_LEVEL; ++level) osip_trace_disable_level(osip_trace_level_t(level));
  });
}

bool Digits(const char* s) {
  if (!s || !*s) return false;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9') return false;
  }
  return true;
}

std::string Str(const char* s) { return s ? s : ""; }

// A quoted-string parameter ("abc") without its quotes.
std::string Unquoted(const char* s) {
  std::string v = Str(s);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

std::string ParamValue(osip_generic_param_t* p) { return p ? Str(p->gvalue) : ""; }

}  // namespace

void SipMessage::Free::operator()(osip_message_t* m) const {
  if (m) osip_message_free(m);
}

Result<SipMessage> SipMessage::Parse(std::string_view bytes) {
  InitParserOnce();
  if (bytes.size() < 16) return Error{"malformed SIP: too short"};
  if (bytes.size() > 65536) return Error{"malformed SIP: longer than 64 KiB"};
  osip_message_t* raw = nullptr;
  if (osip_message_init(&raw) != 0) return Error{"out of memory"};
  SipMessage m(raw);
  // libosip2 copies the buffer; a NUL-terminated copy keeps its string scans in bounds.
  const std::string copy(bytes);
  if (osip_message_parse(raw, copy.c_str(), copy.size()) != 0) return Error{"malformed SIP: not parseable"};
  if (!raw->from || !raw->to || !raw->call_id || !raw->cseq || !raw->cseq->number || !raw->cseq->method ||
      osip_list_size(&raw->vias) < 1) {
    return Error{"malformed SIP: missing Via, From, To, Call-ID or CSeq"};
  }
  if (MSG_IS_REQUEST(raw) && (!raw->req_uri || !raw->sip_method)) return Error{"malformed SIP: no request line"};
  if (!MSG_IS_REQUEST(raw) && (raw->status_code < 100 || raw->status_code > 699)) {
    return Error{"malformed SIP: bad status code"};
  }
  if (!Digits(raw->cseq->number) || std::strlen(raw->cseq->number) > 10) return Error{"malformed SIP: bad CSeq"};
  // libosip2 accepts some headers it cannot write back; what it cannot round-trip, we refuse
  // (so every answer we build from a request is itself valid SIP).
  const std::string again = m.ToString();
  osip_message_t* check = nullptr;
  osip_message_init(&check);
  const bool round_trips = !again.empty() && osip_message_parse(check, again.c_str(), again.size()) == 0;
  osip_message_free(check);
  if (!round_trips) return Error{"malformed SIP: headers that do not round-trip"};
  return m;
}

std::string RandomHex(int digits) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < digits; ++i) s += kHex[rng() & 15];
  return s;
}

SipMessage SipMessage::Request(const std::string& method, const std::string& uri, const RequestHeaders& h) {
  InitParserOnce();
  osip_message_t* raw = nullptr;
  osip_message_init(&raw);
  SipMessage m(raw);
  osip_message_set_method(raw, osip_strdup(method.c_str()));
  osip_message_set_version(raw, osip_strdup("SIP/2.0"));
  osip_uri_t* u = nullptr;
  osip_uri_init(&u);
  if (osip_uri_parse(u, uri.c_str()) != 0) {
    osip_uri_free(u);
    osip_uri_init(&u);
    osip_uri_parse(u, "sip:invalid@invalid");
  }
  osip_message_set_uri(raw, u);
  m.SetHeader("Via", "SIP/2.0/" + h.transport + " " + h.via_host + ";rport;branch=z9hG4bK" + RandomHex(16));
  m.SetHeader("From", "<" + h.from_uri + ">;tag=" + (h.from_tag.empty() ? RandomHex(8) : h.from_tag));
  m.SetHeader("To", "<" + h.to_uri + ">" + (h.to_tag.empty() ? "" : ";tag=" + h.to_tag));
  m.SetHeader("Call-ID", h.call_id);
  m.SetHeader("CSeq", std::to_string(h.cseq) + " " + method);
  m.SetHeader("Max-Forwards", "70");
  return m;
}

SipMessage SipMessage::ResponseTo(const SipMessage& request, int status, const std::string& reason) {
  InitParserOnce();
  osip_message_t* raw = nullptr;
  osip_message_init(&raw);
  SipMessage m(raw);
  const osip_message_t* req = request.msg_.get();
  osip_message_set_version(raw, osip_strdup("SIP/2.0"));
  osip_message_set_status_code(raw, status);
  osip_message_set_reason_phrase(raw, osip_strdup(reason.c_str()));
  for (int i = 0; i < osip_list_size(&req->vias); ++i) {
    osip_via_t* via = static_cast<osip_via_t*>(osip_list_get(&req->vias, i));
    osip_via_t* copy = nullptr;
    if (osip_via_clone(via, &copy) == 0) osip_list_add(&raw->vias, copy, -1);
  }
  osip_from_clone(req->from, &raw->from);
  osip_to_clone(req->to, &raw->to);
  osip_generic_param_t* tag = nullptr;
  if (raw->to && osip_to_get_tag(raw->to, &tag) != 0) osip_to_set_tag(raw->to, osip_strdup(RandomHex(8).c_str()));
  osip_call_id_clone(req->call_id, &raw->call_id);
  osip_cseq_clone(req->cseq, &raw->cseq);
  return m;
}

bool SipMessage::is_request() const { return MSG_IS_REQUEST(msg_.get()); }
std::string SipMessage::method() const { return Str(msg_->sip_method); }
int SipMessage::status() const { return msg_->status_code; }
std::string SipMessage::request_user() const { return msg_->req_uri ? Str(msg_->req_uri->username) : ""; }
std::string SipMessage::from_user() const {
  return msg_->from && msg_->from->url ? Str(msg_->from->url->username) : "";
}
std::string SipMessage::to_user() const { return msg_->to && msg_->to->url ? Str(msg_->to->url->username) : ""; }

std::string SipMessage::from_tag() const {
  osip_generic_param_t* tag = nullptr;
  if (!msg_->from || osip_from_get_tag(msg_->from, &tag) != 0) return "";
  return ParamValue(tag);
}

std::string SipMessage::to_tag() const {
  osip_generic_param_t* tag = nullptr;
  if (!msg_->to || osip_to_get_tag(msg_->to, &tag) != 0) return "";
  return ParamValue(tag);
}

std::string SipMessage::call_id() const {
  if (!msg_->call_id) return "";
  const std::string host = Str(msg_->call_id->host);
  return Str(msg_->call_id->number) + (host.empty() ? "" : "@" + host);
}

long SipMessage::cseq() const { return msg_->cseq && msg_->cseq->number ? std::atol(msg_->cseq->number) : 0; }
std::string SipMessage::cseq_method() const { return msg_->cseq ? Str(msg_->cseq->method) : ""; }

std::string SipMessage::via_branch() const {
  osip_via_t* via = static_cast<osip_via_t*>(osip_list_get(&msg_->vias, 0));
  osip_generic_param_t* branch = nullptr;
  if (!via || osip_via_param_get_byname(via, const_cast<char*>("branch"), &branch) != 0) return "";
  return ParamValue(branch);
}

std::optional<std::string> SipMessage::header(const std::string& name) const {
  osip_header_t* h = nullptr;
  if (osip_message_header_get_byname(msg_.get(), name.c_str(), 0, &h) < 0 || !h) return std::nullopt;
  return Str(h->hvalue);
}

std::string SipMessage::content_type() const {
  const osip_content_type_t* ct = msg_->content_type;
  if (!ct || !ct->type) return "";
  std::string t = Str(ct->type) + "/" + Str(ct->subtype);
  for (char& c : t) c = char(std::tolower(static_cast<unsigned char>(c)));
  return t;
}

std::string SipMessage::body() const {
  osip_body_t* b = nullptr;
  if (osip_message_get_body(msg_.get(), 0, &b) != 0 || !b || !b->body) return "";
  return std::string(b->body, b->length);
}

std::optional<DigestCredentials> SipMessage::authorization() const {
  osip_authorization_t* a = nullptr;
  if (osip_message_get_authorization(msg_.get(), 0, &a) != 0 || !a) return std::nullopt;
  DigestCredentials c;
  c.username = Unquoted(a->username);
  c.realm = Unquoted(a->realm);
  c.nonce = Unquoted(a->nonce);
  c.uri = Unquoted(a->uri);
  c.response = Unquoted(a->response);
  c.algorithm = Unquoted(a->algorithm);
  c.qop = Unquoted(a->message_qop);
  c.nc = Unquoted(a->nonce_count);
  c.cnonce = Unquoted(a->cnonce);
  return c;
}

std::optional<DigestCredentials> SipMessage::www_authenticate() const {
  osip_www_authenticate_t* w = nullptr;
  if (osip_message_get_www_authenticate(msg_.get(), 0, &w) != 0 || !w) return std::nullopt;
  DigestCredentials c;
  c.realm = Unquoted(w->realm);
  c.nonce = Unquoted(w->nonce);
  c.algorithm = Unquoted(w->algorithm);
  c.qop = Unquoted(w->qop_options);
  return c;
}

std::optional<long> SipMessage::expires() const {
  auto v = header("Expires");
  if (!v || v->empty()) return std::nullopt;
  char* end = nullptr;
  const long n = std::strtol(v->c_str(), &end, 10);
  if (*end != '\0' || n < 0) return std::nullopt;
  return n;
}

void SipMessage::AddHeader(const std::string& name, const std::string& value) {
  osip_message_set_header(msg_.get(), name.c_str(), value.c_str());
}

bool SipMessage::SetHeader(const std::string& name, const std::string& value) {
  osip_message_t* m = msg_.get();
  const char* v = value.c_str();
  int rc;
  if (name == "From") rc = osip_message_set_from(m, v);
  else if (name == "To") rc = osip_message_set_to(m, v);
  else if (name == "Via") rc = osip_message_set_via(m, v);
  else if (name == "Call-ID") rc = osip_message_set_call_id(m, v);
  else if (name == "CSeq") rc = osip_message_set_cseq(m, v);
  else if (name == "Contact") rc = osip_message_set_contact(m, v);
  else if (name == "WWW-Authenticate") rc = osip_message_set_www_authenticate(m, v);
  else if (name == "Authorization") rc = osip_message_set_authorization(m, v);
  else rc = osip_message_set_header(m, name.c_str(), v);
  return rc == 0;
}

void SipMessage::SetBody(const std::string& body, const std::string& content_type) {
  osip_message_set_content_type(msg_.get(), content_type.c_str());
  osip_message_set_body(msg_.get(), body.data(), body.size());
}

std::string SipMessage::ToString() const {
  char* text = nullptr;
  size_t length = 0;
  if (osip_message_to_str(msg_.get(), &text, &length) != 0 || !text) return "";
  std::string out(text, length);
  osip_free(text);
  return out;
}

long SipFrameLength(std::string_view buffer) {
  constexpr size_t kMax = 65536;
  size_t crlf = 0;
  while (crlf + 1 < buffer.size() && buffer[crlf] == '\r' && buffer[crlf + 1] == '\n') crlf += 2;
  if (crlf) return long(crlf);
  const size_t end = buffer.find("\r\n\r\n");
  if (end == std::string_view::npos) return buffer.size() > kMax ? -1 : 0;
  if (end > kMax) return -1;
  // Content-Length (or its compact form "l"), case-insensitive, at the start of a line.
  long body = 0;
  size_t line = 0;
  while (line < end) {
    const size_t next = buffer.find("\r\n", line);
    const std::string_view h = buffer.substr(line, next - line);
    const size_t colon = h.find(':');
    if (colon != std::string_view::npos) {
      std::string name(h.substr(0, colon));
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
      for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
      if (name == "content-length" || name == "l") {
        std::string_view v = h.substr(colon + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
        if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string_view::npos) return -1;
        body = std::atol(std::string(v).c_str());
        if (body > long(kMax)) return -1;
      }
    }
    line = next + 2;
  }
  const size_t total = end + 4 + size_t(body);
  return buffer.size() >= total ? long(total) : 0;
}

SipStream::Step SipStream::Take(std::string* message) {
  for (;;) {
    const long length = SipFrameLength(buffer_);
    if (length < 0) return Step::kBroken;
    if (length == 0) return Step::kMore;
    message->assign(buffer_, 0, size_t(length));
    buffer_.erase(0, size_t(length));
    if (message->find_first_not_of("\r\n") != std::string::npos) return Step::kMessage;
  }
}

std::string Md5Hex(std::string_view text) {
  osip_MD5_CTX ctx;
  osip_MD5Init(&ctx);
  osip_MD5Update(&ctx, reinterpret_cast<unsigned char*>(const_cast<char*>(text.data())), unsigned(text.size()));
  unsigned char digest[16];
  osip_MD5Final(digest, &ctx);
  char hex[33];
  for (int i = 0; i < 16; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return std::string(hex, 32);
}

std::string DigestResponse(const DigestCredentials& c, const std::string& password, const std::string& method) {
  const std::string ha1 = Md5Hex(c.username + ":" + c.realm + ":" + password);
  const std::string ha2 = Md5Hex(method + ":" + c.uri);
  if (c.qop.empty()) return Md5Hex(ha1 + ":" + c.nonce + ":" + ha2);
  return Md5Hex(ha1 + ":" + c.nonce + ":" + c.nc + ":" + c.cnonce + ":" + c.qop + ":" + ha2);
}

}  // namespace xl::gb28181

// Parse cost of a typical browser-like request head (8 fields) and of a chunked body.
// Run: build/bench/h1_parser_bench; figures go into docs/design/http1-parser.md.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "dataplane/http/chunked_decoder.h"
#include "dataplane/http/h1_parser.h"

namespace {

using namespace gatehouse::http;

const std::string kRequest =
    "GET /api/v1/items?page=2&sort=name HTTP/1.1\r\n"
    "Host: shop.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=0123456789abcdef0123456789abcdef; theme=dark\r\n"
    "Cache-Control: max-age=0\r\n"
    "\r\n";

void BM_ParseRequestHead(benchmark::State& state) {
  RequestHeadParser parser;  // reused per connection, as the proxy does
  for (auto _ : state) {
    parser.reset();
    ParseResult result = parser.parse(kRequest);
    benchmark::DoNotOptimize(result);
    benchmark::DoNotOptimize(parser.head().host.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kRequest.size()));
}
BENCHMARK(BM_ParseRequestHead);

// The head arriving in two reads: the cost of resuming.
void BM_ParseRequestHeadInTwoReads(benchmark::State& state) {
  RequestHeadParser parser;
  const std::string_view first = std::string_view(kRequest).substr(0, kRequest.size() / 2);
  for (auto _ : state) {
    parser.reset();
    ParseResult partial = parser.parse(first);
    benchmark::DoNotOptimize(partial);
    ParseResult result = parser.parse(kRequest);
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_ParseRequestHeadInTwoReads);

const std::string kResponse =
    "HTTP/1.1 200 OK\r\n"
    "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
    "Server: backend\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 1234\r\n"
    "Cache-Control: no-store\r\n"
    "Vary: Accept-Encoding\r\n"
    "X-Request-Id: 4bf92f3577b34da6a3ce929d0e0e4736\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

void BM_ParseResponseHead(benchmark::State& state) {
  ResponseHeadParser parser("GET");
  for (auto _ : state) {
    parser.reset("GET");
    ParseResult result = parser.parse(kResponse);
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kResponse.size()));
}
BENCHMARK(BM_ParseResponseHead);

std::string chunkedBody(size_t chunk_size, size_t chunks) {
  std::string body;
  char size_line[32];
  for (size_t i = 0; i < chunks; ++i) {
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk_size);
    body += size_line + std::string(chunk_size, 'x') + "\r\n";
  }
  return body + "0\r\n\r\n";
}

void BM_RelayChunkedBody(benchmark::State& state) {
  const std::string body = chunkedBody(static_cast<size_t>(state.range(0)), 16);
  ChunkedDecoder decoder;
  for (auto _ : state) {
    decoder.reset();
    ChunkedResult result = decoder.relay(body);
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_RelayChunkedBody)->Arg(64)->Arg(4096);

}  // namespace

BENCHMARK_MAIN();

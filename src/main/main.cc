#include <cstdio>
int main() { std::puts("gatehouse"); return 0; }

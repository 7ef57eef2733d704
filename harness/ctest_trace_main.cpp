// ctest-trace: placeholder main until the trace CLI lands.
int main() { return 2; }

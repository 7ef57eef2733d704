// ctest-record: placeholder main until the record CLI lands.
int main() { return 125; }

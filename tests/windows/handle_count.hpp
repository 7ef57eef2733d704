// The number of handles this process holds. GetProcessHandleCount where it answers (Windows);
// Wine 8 returns 0 there, so the fallback counts this process's entries in
// NtQuerySystemInformation(SystemHandleInformation), which Wine implements.
#pragma once

long process_handle_count();

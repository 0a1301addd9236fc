"""Hostile Markdown/HTML for the renderer. `LEAK` is replaced by a URL on a loopback server (one path per
payload), so anything that escapes the sanitiser shows up as a request there; `alert(`/`__xss` would show
as a dialog or a global."""

from __future__ import annotations

import base64

from tests.fake_images import png

_PNG_B64 = base64.b64encode(png(2, 2, (255, 0, 0))).decode()
_SVG_B64 = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>').decode()

PAYLOADS: list[str] = [
    # script and event handlers
    "<script>alert('s1');window.__xss=1;fetch('LEAK')</script>",
    "<SCRIPT SRC=LEAK></SCRIPT>",
    "<img src=x onerror=\"alert('e1');new Image().src='LEAK'\">",
    '<img src="LEAK" onload="alert(\'e2\')">',
    "<body onload=\"alert('b1')\">body</body>",
    "<details open ontoggle=\"alert('t1');fetch('LEAK')\"><summary>x</summary>y</details>",
    '<div onmouseover="alert(\'m1\')" style="position:fixed;inset:0">cover</div>',
    "<marquee onstart=\"alert('m2')\">m</marquee>",
    '<svg onload="alert(\'v1\')"><image href="LEAK"/></svg>',
    "<svg><script>alert('v2')</script><use href=\"LEAK#x\"/></svg>",
    "<math><mi xlink:href=\"javascript:alert('x1')\">m</mi><maction actiontype=statusline#LEAK>z</maction></math>",
    # javascript: and data: URLs
    "[click](javascript:alert('j1'))",
    "[click](JaVaScRiPt:alert('j2'))",
    "<a href=\"jav&#x09;ascript:alert('j3')\">tab</a>",
    "<a href=\"data:text/html,<script>alert('d1')</script>\">data link</a>",
    "[ref link][evil]\n\n[evil]: javascript:alert('j4')",
    "<javascript:alert('j5')>",
    f"![student data png](data:image/png;base64,{_PNG_B64})",
    f'<img src="data:image/svg+xml;base64,{_SVG_B64}">',
    "<img src=\"data:text/html,<script>alert('d2')</script>\">",
    # remote fetches that would leak
    "![remote](LEAK/remote.png)",
    '<img src="LEAK/raw.png" srcset="LEAK/srcset.png 2x">',
    '<picture><source srcset="LEAK/source.png"><img src="figures/none.png"></picture>',
    '<video poster="LEAK/poster.png" src="LEAK/video.mp4" autoplay></video>',
    '<audio src="LEAK/audio.mp3" autoplay></audio>',
    '<input type="image" src="LEAK/input.png">',
    '<table background="LEAK/bg.png"><tr><td background="LEAK/td.png">cell</td></tr></table>',
    '<img src="//127.0.0.1:1/protocol-relative.png">',
    # CSS
    "<div style=\"background:url('LEAK/css.png')\">css</div>",
    "<div style=\"width: expression(alert('c1'))\">expr</div>",
    "<style>@import 'LEAK/import.css'; body{background:url(LEAK/body.png)}</style>",
    '<link rel="stylesheet" href="LEAK/link.css"><link rel="prefetch" href="LEAK/prefetch">',
    # page-level tags
    '<meta http-equiv="refresh" content="0;url=LEAK/refresh">',
    '<base href="LEAK/base/">',
    '<form action="LEAK/form" method="post"><input name="q" value="x"><button>send</button></form>',
    '<iframe src="LEAK/iframe"></iframe><iframe srcdoc="<script>alert(\'i1\')</script>"></iframe>',
    '<object data="LEAK/object"></object><embed src="LEAK/embed">',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgnbzEnKTwvc2NyaXB0Pg=="></object>',
    # broken and mutation-prone markup
    "<img src=x onerror=alert('b2')//",
    "<scr<script>ipt>alert('b3')</scr</script>ipt>",
    "<!--<img src=\"--><img src=x onerror=alert('b4')//\">",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('b5')>\"></noscript>",
    "<textarea><script>alert('b6')</script></textarea>",
    '<a href="https://example.org" onclick="alert(\'b7\')" target="_top" ping="LEAK/ping">ping</a>',
    "<template><img src=x onerror=alert('b8')></template>",
    "<p>unclosed <b>bold <i>italic <div>div",
    "\"><img src=x onerror=alert('b9')>",
    "<![CDATA[<script>alert('b10')</script>]]>",
]


def hostile_report(leak: str) -> str:
    """A three-question report whose intro and answers are the payloads; payload i talks to `leak/i`."""
    chunks = [p.replace("LEAK", f"{leak}/{i}") for i, p in enumerate(PAYLOADS)]
    third = len(chunks) // 3
    parts = [
        "# Hostile report\n",
        *chunks[:third],
        "### Question 1\n\n> **Enter the group number you signed up on**\n>\n> Answer:\n",
        *chunks[third : 2 * third],
        "### Question 2\n\n> **Enter the study number for each member in the group**\n>\n> Answer:\n",
        *chunks[2 * third :],
    ]
    return "\n\n".join(parts) + "\n"

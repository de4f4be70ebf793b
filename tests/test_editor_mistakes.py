"""Every editor mistake of issue 14, caught by ``tongxin check`` in the site's language.

Each case is a file as a branch editor wrote it (the mistakes come from the field reports:
a tab indent, an ASCII colon in a title, a full-width colon after ``title``, quotes inside
quotes, the README's old ``files/photo.png`` form, a Windows path, a raw ``<img>`` to a missing
file, a WeChat image, ``expires`` before ``date``, a Chinese comma inside ``tags``, a quiz
answer listed twice, a space in a file name, （多选） typed by the author). For each, the
check must name the file and line and say, in zh-CN, zh-TW and en, what is wrong and how to
fix it; warnings must not fail the check, errors must.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tongxin.check import check_branch
from tongxin.problems import errors_in

PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Mistake:
    path: str
    text: str | bytes
    line: int
    #: a fragment each language's message must contain: zh-CN, zh-TW, en
    words: tuple[str, str, str]
    warning: bool = False
    #: the reported path, when not ``path``
    where: str | None = None


NEWS = "content/news/meeting.md"


def _docx() -> bytes:
    """A .docx in the shape Word writes one: a zip holding word/document.xml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document><w:t>敬老活动</w:t></w:document>")
    return buffer.getvalue()


_FULLWIDTH = (
    "看不见的全角空格（U+3000）",
    "看不見的全形空格（U+3000）",
    "invisible full-width space",
)
MISTAKES = {
    # Word and WPS paste characters that look like a space, or like nothing
    "a_full_width_space_indenting_a_list": Mistake(
        NEWS, "---\ntitle: 敬老活动\ntags:\n\u3000- 敬老\n---\n正文\n", 4, _FULLWIDTH
    ),
    "a_full_width_space_after_the_colon": Mistake(
        NEWS, "---\ntitle:\u3000敬老活动\n---\n正文\n", 2, _FULLWIDTH
    ),
    "a_no_break_space_after_the_colon": Mistake(
        NEWS,
        "---\ntitle:\u00a0敬老活动\n---\n正文\n",
        2,
        (
            "看不见的不换行空格（U+00A0）",
            "看不見的不換行空格（U+00A0）",
            "invisible no-break space",
        ),
    ),
    "a_zero_width_space_before_a_field": Mistake(
        NEWS,
        "---\n\u200btitle: 敬老活动\n---\n正文\n",
        2,
        (
            "看不见的零宽字符（U+200B）",
            "看不見的零寬字元（U+200B）",
            "invisible zero-width character",
        ),
    ),
    "a_zero_width_space_before_the_opening_line": Mistake(
        NEWS,
        "\u200b---\ntitle: 敬老活动\n---\n正文\n",
        1,
        (
            "看不见的零宽字符（U+200B）",
            "看不見的零寬字元（U+200B）",
            "invisible zero-width character",
        ),
    ),
    "tags_split_by_a_semicolon": Mistake(
        NEWS,
        "---\ntitle: 敬老活动\ntags: [组织生活；支部建设]\n---\n正文\n",
        3,
        ("[组织生活, 支部建设]", "[组织生活, 支部建设]", "[组织生活, 支部建设]"),
    ),
    "tags_split_by_a_full_width_space": Mistake(
        NEWS,
        "---\ntitle: 敬老活动\ntags: [组织生活\u3000支部建设]\n---\n正文\n",
        3,
        ("[组织生活, 支部建设]", "[组织生活, 支部建设]", "[组织生活, 支部建设]"),
    ),
    "an_hour_past_23": Mistake(
        NEWS,
        "---\ntitle: 敬老活动\ndate: 2026-03-05 25:00\n---\n正文\n",
        3,
        (
            "的时间不存在：'2026-03-05 25:00'（时 0–23",
            "的時間不存在：'2026-03-05 25:00'（時 0–23",
            "time that does not exist",
        ),
    ),
    "a_link_with_backslashes": Mistake(
        NEWS,
        "---\ntitle: 敬老活动\n---\n[照片](..\\files\\photo.png)\n",
        4,
        ("写成 ../files/photo.png", "寫成 ../files/photo.png", "as ../files/photo.png"),
    ),
    "a_vertical_tab_in_a_title": Mistake(
        NEWS,
        "---\ntitle: 敬老\x0b活动\n---\n正文\n",
        2,
        ("看不见的控制字符（U+000B）", "看不見的控制字元（U+000B）", "invisible control character"),
    ),
    "a_year_mistyped_ahead": Mistake(
        NEWS,
        "---\ntitle: 敬老活动\ndate: 2099-03-01\n---\n正文\n",
        3,
        ("2099-03-01 在一年以后", "2099-03-01 在一年以後", "2099-03-01 is more than a year ahead"),
        warning=True,
    ),
    # a trial: a video pasted with the site's "share → embed" code vanished without a word
    "an_embedded_video": Mistake(
        NEWS,
        "---\ntitle: 敬老活动\ndate: 2026-12-01\n---\n正文\n\n"
        '<iframe src="https://v.qq.com/txp/iframe/player.html?vid=x1" width="600"></iframe>\n',
        7,
        ("[观看视频](https://v.qq.com/", "[觀看影片](https://v.qq.com/", "[Watch the video]("),
        warning=True,
    ),
    "a_title_without_text": Mistake(
        NEWS,
        "---\ntitle: 敬老活动\ndate: 2026-12-01\n---\n\u3000\u3000\n",
        2,
        ("正文是空的", "內文是空的", "no text"),
        warning=True,
    ),
    # a trial: the file is PHOTO.PNG on Windows, where capitals do not matter
    "an_image_in_other_capitals": Mistake(
        NEWS,
        "---\ntitle: 敬老活动\n---\n正文\n\n![照片](../files/PHOTO.png)\n",
        6,
        ("请写成 ../files/photo.png", "請寫成 ../files/photo.png", "write ../files/photo.png"),
    ),
    "an_attachment_in_other_capitals": Mistake(
        "content/announcements/form.md",
        "---\ntitle: 报名\nattachments:\n  - title: 表\n    file: files/Photo.PNG\n---\n正文\n",
        5,
        ("请写成 files/photo.png", "請寫成 files/photo.png", "write files/photo.png"),
    ),
    # the folder as the file manager shows it: content/files/ (told the form that works)
    "an_image_written_with_content_files": Mistake(
        NEWS,
        "---\ntitle: 敬老活动\n---\n正文\n\n![照片](content/files/photo.png)\n",
        6,
        ("写成 ../files/photo.png", "寫成 ../files/photo.png", "as ../files/photo.png"),
    ),
    # a trial: answers written as the letters the page shows, or with a Chinese comma
    "an_answer_written_as_a_letter": Mistake(
        "content/study/quiz.md",
        "---\ntitle: 自测\nquiz:\n  - question: 哪个对？\n    options: [甲, 乙]\n"
        "    answer: B\n---\n正文\n",
        6,
        ("answer: 1", "answer: 1", "answer: 1"),
    ),
    "answers_with_a_chinese_comma": Mistake(
        "content/study/quiz.md",
        "---\ntitle: 自测\nquiz:\n  - question: 哪些对？\n    options: [甲, 乙, 丙]\n"
        "    answer: [0，2]\n---\n正文\n",
        6,
        ("answer: [0, 2]", "answer: [0, 2]", "answer: [0, 2]"),
    ),
    "options_with_chinese_commas": Mistake(
        "content/study/quiz.md",
        "---\ntitle: 自测\nquiz:\n  - question: 哪个对？\n    options: [甲，乙，丙]\n"
        "    answer: 1\n---\n正文\n",
        6,
        ("options: [甲, 乙, 丙]", "options: [甲, 乙, 丙]", "options: [甲, 乙, 丙]"),
    ),
    # a trial: fields and folders from other tools or in Chinese, with no fix offered
    "a_category_field": Mistake(
        NEWS,
        "---\ntitle: 敬老活动\ncategory: 要闻\n---\n正文\n",
        3,
        ("content/news/ 是要闻", "content/news/ 是要聞", "content/news/ is news"),
    ),
    "a_pinned_news_item": Mistake(
        NEWS,
        "---\ntitle: 敬老活动\npinned: true\n---\n正文\n",
        3,
        ("只有通知公告", "只有通知公告", "only announcements"),
    ),
    "a_field_nobody_knows": Mistake(
        NEWS,
        "---\ntitle: 敬老活动\nlayout: post\n---\n正文\n",
        3,
        ("删掉这一行", "刪掉這一行", "delete this line"),
    ),
    "a_status_in_chinese": Mistake(
        NEWS,
        "---\ntitle: 敬老活动\nstatus: 草稿\n---\n正文\n",
        3,
        ("draft？", "draft？", "draft?"),
    ),
    "a_folder_named_in_chinese": Mistake(
        "content/要闻/visit.md",
        "---\ntitle: 敬老活动\n---\n正文\n",
        1,
        ("content/news/", "content/news/", "content/news/"),
    ),
    "a_folder_in_the_singular": Mistake(
        "content/announcement/visit.md",
        "---\ntitle: 敬老活动\n---\n正文\n",
        1,
        ("content/announcements/", "content/announcements/", "content/announcements/"),
    ),
    # a trial: files that are not articles, named as the editor's Windows shows them
    "a_word_document_saved_as_md": Mistake(
        NEWS, _docx(), 1, ("另存为", "另存新檔", "Save As plain text")
    ),
    "a_wordpad_file_saved_as_md": Mistake(
        NEWS, "{\\rtf1\\ansi 敬老活动}\n", 1, ("写字板", "WordPad", "WordPad")
    ),
    "a_hidden_txt_extension": Mistake(
        "content/news/通知.md.txt",
        "---\ntitle: 通知\n---\n正文\n",
        1,
        ("请改名为 通知.md", "請改名為 通知.md", "Rename it 通知.md"),
    ),
    "a_word_document_among_the_articles": Mistake(
        "content/news/会议纪要.docx",
        _docx(),
        1,
        ("放进 content/files/", "放進 content/files/", "put it in content/files/"),
    ),
    "a_chinese_dash_for_the_opening_line": Mistake(
        NEWS,
        "———\ntitle: 敬老活动\n———\n正文\n",
        1,
        ("写成了 ———", "寫成了 ———", "written ———"),
    ),
    "a_blank_line_before_the_opening_line": Mistake(
        NEWS,
        "\n---\ntitle: 敬老活动\n---\n正文\n",
        1,
        ("第 2 行", "第 2 行", "line 2"),
    ),
    # a trial: a phone's 8 MB photo passed without a word, and a 28 MB one was told to go
    # "elsewhere" (it needs shrinking)
    "a_phone_photo_as_taken": Mistake(
        "content/files/visit.jpg",
        "x" * (3 * 1024 * 1024),
        1,
        ("缩小到 1 MB 以内", "縮小到 1 MB 以內", "shrink it under 1 MB"),
        warning=True,
    ),
    "a_photo_over_the_limit": Mistake(
        "content/files/visit.jpg",
        "x" * (11 * 1024 * 1024),
        1,
        ("调整大小", "調整大小", "Resize"),
    ),
    "tags_in_chinese_brackets": Mistake(
        NEWS,
        "---\ntitle: 敬老活动\ndate: 2026-12-01\ntags: 【志愿服务, 敬老】\n---\n正文\n",
        4,
        ("[志愿服务, 敬老]", "[志愿服务, 敬老]", "[志愿服务, 敬老]"),
    ),
    "a_thirteenth_month": Mistake(
        NEWS,
        "---\ntitle: 敬老活动\ndate: 2026-13-01\n---\n正文\n",
        3,
        ("如 2026-03-01，月份 1–12", "如 2026-03-01，月份 1–12", "such as 2026-03-01: month 1-12"),
    ),
    "no_colon_after_title": Mistake(
        NEWS,
        "---\ntitle 社区开展志愿服务日活动\ndate: 2026-12-01\n---\n正文\n",
        2,
        (
            "写成 title: 社区开展志愿服务日活动",
            "寫成 title: 社区开展志愿服务日活动",
            "write title: 社区开展志愿服务日活动",
        ),
    ),
    "no_colon_after_the_last_field": Mistake(
        NEWS,
        "---\ntitle: 组织生活会\ndate: 2026-12-01\nsummary 支部开会\n---\n正文\n",
        4,
        ("字段 summary 后面少了冒号", "欄位 summary 後面少了冒號", "field summary has no colon"),
    ),
    "no_space_after_the_only_field": Mistake(
        NEWS,
        "---\ntitle:社区活动\n---\n正文\n",
        2,
        ("写成 title: 社区活动", "寫成 title: 社区活动", "write title: 社区活动"),
    ),
    "no_colon_after_the_only_field": Mistake(
        NEWS,
        "---\ntitle 社区活动\n---\n正文\n",
        2,
        ("写成 title: 社区活动", "寫成 title: 社区活动", "write title: 社区活动"),
    ),
    "no_space_after_colon": Mistake(
        NEWS,
        "---\ntitle:社区活动\ndate: 2026-12-01\n---\n正文\n",
        2,
        ("写成 title: 社区活动", "寫成 title: 社区活动", "write title: 社区活动"),
    ),
    "list_item_out_of_line": Mistake(
        NEWS,
        "---\ntitle: 组织生活会\ntags:\n  - 党建\n - 学习\n---\n正文\n",
        5,
        ("缩进和同一层的其他行对不齐", "縮排和同一層的其他行對不齊", "not in line with the others"),
    ),
    "tab_indent": Mistake(
        NEWS,
        "---\ntitle: 组织生活会\ntags:\n\t- 党建\n---\n正文\n",
        4,
        ("制表符（Tab 键）缩进", "定位字元（Tab 鍵）縮排", "indented with a tab"),
    ),
    "ascii_colon_in_title": Mistake(
        NEWS,
        "---\ntitle: 通知: 明天开会\ndate: 2026-12-01\n---\n正文\n",
        2,
        (
            "字段 title 的内容里有英文冒号",
            "欄位 title 的內容裡有半形冒號",
            "value of title contains an ASCII colon",
        ),
    ),
    "full_width_colon_after_title": Mistake(
        NEWS,
        "---\ntitle：组织生活会\ndate: 2026-12-01\n---\n正文\n",
        2,
        (
            "字段 title 后面是中文冒号",
            "欄位 title 後面是全形冒號",
            "title is followed by a full-width colon",
        ),
    ),
    "full_width_colon_on_a_later_line": Mistake(
        NEWS,
        "---\ntitle: 组织生活会\nsummary：会议纪要\ndate: 2026-12-01\n---\n正文\n",
        3,
        ("写成 summary: …", "寫成 summary: …", "as summary: …"),
    ),
    "quotes_inside_quotes": Mistake(
        NEWS,
        '---\ntitle: "关于"两学一做"的通知"\n---\n正文\n',
        2,
        ("引号没有配对", "引號沒有配對", "quote that is not closed"),
    ),
    "files_form_of_the_old_readme": Mistake(
        NEWS,
        "---\ntitle: 组织生活会\n---\n会议现场：\n\n![照片](files/photo.png)\n",
        6,
        ("写成 ../files/photo.png", "寫成 ../files/photo.png", "as ../files/photo.png"),
    ),
    "missing_image": Mistake(
        NEWS,
        "---\ntitle: 组织生活会\n---\n![照片](../files/none.png)\n",
        4,
        (
            "附件不存在：../files/none.png",
            "附件不存在：../files/none.png",
            "does not exist: ../files/none.png",
        ),
    ),
    "windows_path": Mistake(
        NEWS,
        "---\ntitle: 组织生活会\n---\n![照片](C:\\Users\\Administrator\\Desktop\\照片.jpg)\n",
        4,
        ("你电脑上的位置", "你電腦上的位置", "a place on your own computer"),
    ),
    "raw_img_to_a_missing_file": Mistake(
        NEWS,
        '---\ntitle: 组织生活会\n---\n<p>现场</p>\n<img src="../files/gone.jpg" width="300">\n',
        5,
        (
            "附件不存在：../files/gone.jpg",
            "附件不存在：../files/gone.jpg",
            "does not exist: ../files/gone.jpg",
        ),
    ),
    "wechat_hotlinked_image": Mistake(
        NEWS,
        "---\ntitle: 组织生活会\n---\n![](https://mmbiz.qpic.cn/mmbiz_jpg/abc/640?wx_fmt=jpeg)\n",
        4,
        (
            "微信公众号的服务器（mmbiz.qpic.cn）",
            "微信公眾號的伺服器（mmbiz.qpic.cn）",
            "WeChat's servers (mmbiz.qpic.cn)",
        ),
        warning=True,
    ),
    "other_site_image": Mistake(
        NEWS,
        '---\ntitle: 组织生活会\n---\n<img src="http://img.example.com/a.jpg">\n',
        4,
        (
            "来自别的网站（img.example.com）",
            "來自別的網站（img.example.com）",
            "another site (img.example.com)",
        ),
        warning=True,
    ),
    "expires_before_date": Mistake(
        "content/announcements/dues.md",
        "---\ntitle: 党费收缴通知\ndate: 2026-12-10\nexpires: 2026-12-01\n---\n正文\n",
        4,
        (
            "截止日期 2026-12-01 早于发布时间 2026-12-10",
            "早於發佈時間 2026-12-10",
            "expires (2026-12-01) is before date (2026-12-10)",
        ),
    ),
    "chinese_comma_in_tags": Mistake(
        NEWS,
        "---\ntitle: 组织生活会\ntags: [组织生活，支部建设]\n---\n正文\n",
        3,
        ("写成 [组织生活, 支部建设]", "寫成 [组织生活, 支部建设]", "as [组织生活, 支部建设]"),
    ),
    "duplicate_quiz_answer": Mistake(
        "content/study/dangzhang-01.md",
        "---\ntitle: 党章学习\nquiz:\n  - question: 党章由哪两部分组成？\n"
        "    options: [总纲和条文, 序言和附录]\n    answer: [1, 1]\n---\n正文\n",
        6,
        (
            "quiz[0].answer：答案 [1, 1] 里序号 1 写了两次",
            "序號 1 寫了兩次",
            "lists option 1 twice",
        ),
    ),
    "choice_label_typed_by_the_author": Mistake(
        "content/study/dangzhang-01.md",
        "---\ntitle: 党章学习\nquiz:\n  - question: 以下哪些是学习方法？（多选）\n"
        "    options: [通读, 精读]\n    answer: [0, 1]\n---\n正文\n",
        4,
        ("quiz[0].question：题目里写了 （多选）", "題目裡寫了 （多选）", "contains （多选）"),
    ),
    "space_in_an_entry_file_name": Mistake(
        "content/news/party day.md",
        "---\ntitle: 主题党日\n---\n正文\n",
        1,
        ("改成连字符，如 party-day.md", "改成連字號，如 party-day.md", "as in party-day.md"),
    ),
    "space_in_an_attachment_name": Mistake(
        "content/files/duty roster.pdf",
        "%PDF-1.4\n",
        1,
        ("如 duty-roster.pdf", "如 duty-roster.pdf", "as in duty-roster.pdf"),
    ),
    # The tester's (session 6): PyYAML's English, "null", no fix shown, zh-cn → zh-TW.
    "backslash_in_double_quotes": Mistake(
        NEWS,
        '---\ntitle: "关于\\下发通知"\n---\n正文\n',
        2,
        (
            "请改用单引号（title: '关于\\下发通知'）",
            "請改用單引號（title: '关于\\下发通知'）",
            "use single quotes",
        ),
    ),
    "unclosed_bracket": Mistake(
        NEWS,
        "---\ntitle: 组织生活会\ntags: [组织生活, 支部建设\nsummary: 摘要\n---\n正文\n",
        3,
        ("方括号“[”没有配对的“]”", "方括號「[」沒有配對的「]」", "does not close it"),
    ),
    "indented_key": Mistake(
        NEWS,
        "---\ntitle: 组织生活会\n  summary: 摘要\n---\n正文\n",
        3,
        ("这一行比上一行多缩进了：字段 summary", "多縮排了：欄位 summary", "indented more"),
    ),
    "empty_title": Mistake(
        NEWS,
        "---\ntitle:\n---\n正文\n",
        2,
        ("字段 title 是空的", "欄位 title 是空的", "field title is empty"),
    ),
    "comma_tags": Mistake(
        NEWS,
        "---\ntitle: 组织生活会\ntags: 组织生活, 支部建设\n---\n正文\n",
        3,
        ("[组织生活, 支部建设]", "[组织生活, 支部建设]", "[组织生活, 支部建设]"),
    ),
    "chinese_field_name": Mistake(
        NEWS,
        "---\ntitle: 组织生活会\n标题: 组织生活会\n---\n正文\n",
        3,
        ("是不是想写 title", "是不是想寫 title", "did you mean title"),
    ),
    "markdown_bold_title": Mistake(
        NEWS,
        "---\ntitle: *重要*通知\n---\n正文\n",
        2,
        ('写成 title: "*重要*通知"', '寫成 title: "*重要*通知"', 'as title: "*重要*通知"'),
    ),
    "at_sign_title": Mistake(
        NEWS,
        "---\ntitle: @全体党员 开会\n---\n正文\n",
        2,
        ("以“@”开头", "以「@」開頭", 'starts with "@"'),
    ),
    # from the zh-TW and English editors' trial
    "a_hash_in_a_title": Mistake(
        NEWS,
        "---\ntitle: 第2场说明会 #志愿者培训\n---\n正文\n",
        2,
        (
            "网站上只剩“第2场说明会”：如果“#志愿者培训”是内容的一部分，请把整个内容用英文双引号括起来，"
            '写成 title: "第2场说明会 #志愿者培训"',
            "網站上只剩「第2场说明会」",
            'leaving "第2场说明会" on the site',
        ),
    ),
    "a_hash_in_a_tag_list": Mistake(
        NEWS,
        "---\ntitle: 培训\ntags: [志工 #培训, 青年]\n---\n正文\n",
        3,
        (
            '写成 tags: ["志工 #培训", 青年]',
            '寫成 tags: ["志工 #培训", 青年]',
            'tags: ["志工 #培训", 青年]',
        ),
    ),
    "a_minguo_year_written_as_a_common_era_year": Mistake(
        NEWS,
        "---\ntitle: 说明会\ndate: 0115-03-05\n---\n正文\n",
        3,
        (
            "如果这是民国 115 年，请写公元年份，写成 2026-03-05",
            "寫成 2026-03-05（民國年份加 1911）",
            "as 2026-03-05",
        ),
    ),
    "a_year_before_1900": Mistake(
        NEWS,
        "---\ntitle: 说明会\ndate: 1026-03-05 09:30\n---\n正文\n",
        3,
        ("年份 1026 早于 1900 年", "年份 1026 早於 1900 年", "1026, is before 1900"),
    ),
    "a_notice_expired_before_it_is_published": Mistake(
        "content/announcements/training.md",
        "---\ntitle: 培训报名\npinned: true\nexpires: 2024-04-30\n---\n正文\n",
        4,
        ("截止日期 2024-04-30 已经过了", "截止日期 2024-04-30 已經過了", "2024-04-30 has passed"),
        warning=True,
    ),
    "a_multiple_choice_label_typed_the_taiwan_way": Mistake(
        "content/study/dangzhang-01.md",
        "---\ntitle: 党章学习\nquiz:\n  - question: 下列何者正確？（複選）\n"
        "    options: [通读, 精读]\n    answer: [0, 1]\n---\n正文\n",
        4,
        ("题目里写了 （複選）", "題目裡寫了 （複選）", "contains （複選）"),
    ),
    "a_title_opening_with_a_bracket": Mistake(
        NEWS,
        "---\ntitle: [公告] 志愿者大会延期\ndate: 2026-03-05\n---\n正文\n",
        2,
        ("以“[”开头", "以「[」開頭", 'as title: "[公告] 志愿者大会延期"'),
    ),
}
LANGUAGES = ("zh-CN", "zh-TW", "en")


def make_branch(root: Path, language: str, mistake: Mistake) -> None:
    site = {"name": "东江社区党支部", "url": "https://dongjiang.example/", "language": language}
    (root / "content" / "files").mkdir(parents=True)
    (root / "content" / "site.yaml").write_text(yaml.safe_dump(site, allow_unicode=True), "utf-8")
    (root / "content" / "files" / "photo.png").write_bytes(PNG)
    target = root / mistake.path
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(mistake.text, bytes):
        target.write_bytes(mistake.text)
    else:
        target.write_text(mistake.text, encoding="utf-8")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(MISTAKES))
def test_mistake_is_explained(tmp_path: Path, name: str, language: str) -> None:
    mistake = MISTAKES[name]
    make_branch(tmp_path, language, mistake)
    problems = check_branch(tmp_path)
    where = f"{mistake.where or mistake.path}:{mistake.line}: "
    words = mistake.words[LANGUAGES.index(language)]
    matching = [p for p in problems if str(p).startswith(where) and words in p.message]
    assert matching, [str(p) for p in problems]
    assert all(p.warning is mistake.warning for p in matching)
    # a warning says so first, in the site's language (the build prints it as check does)
    mark = ("提醒：", "提醒：", "warning: ")[LANGUAGES.index(language)]
    assert all(p.message.startswith(mark) is p.warning for p in matching), matching
    # the check fails on errors and passes with only warnings
    assert bool(errors_in(problems)) is not mistake.warning, [str(p) for p in problems]
    # and never shows the parser's English to a Chinese editor
    if language != "en":
        assert not any(
            "while " in p.message or "mapping values" in p.message or "expected" in p.message
            for p in problems
        )


def test_values_yaml_would_read_as_numbers_dates_or_booleans_are_the_text_typed(
    tmp_path: Path,
) -> None:
    """title: 0755 was the number 493 to YAML and an error; title: No (which Decap CMS writes
    unquoted, YAML 1.2 having no such boolean) was false; tags [2026, 0100] were numbers. A
    text field is the text as typed, on the page too."""
    from tongxin.build import build_site

    entry = Mistake(
        NEWS,
        "---\ntitle: 0755\ndate: 2026-12-01\ntags: [2026, 0100, 二十大]\nsummary: No\n"
        "author: 2026-03-05\n---\n正文\n",
        1,
        ("", "", ""),
    )
    make_branch(tmp_path, "zh-CN", entry)
    assert [str(p) for p in check_branch(tmp_path)] == []
    build_site(tmp_path, tmp_path / "out", progress=False, warnings_to=None)
    page = (tmp_path / "out/news/meeting/index.html").read_text(encoding="utf-8")
    assert "<h1>0755</h1>" in page or ">0755<" in page, page
    assert ">0100</a>" in page and ">2026</a>" in page
    assert "493" not in page and ">64</a>" not in page


def test_correct_forms_pass(tmp_path: Path) -> None:
    """The fixes the messages propose are accepted."""
    fixed = Mistake(
        NEWS,
        '---\ntitle: "通知: 明天开会"\ntags: [组织生活, 支部建设]\n---\n'
        '![照片](../files/photo.png)\n<img src="../files/photo.png">\n[照片](/files/photo.png)\n',
        1,
        ("", "", ""),
    )
    make_branch(tmp_path, "zh-CN", fixed)
    # an attachment written as images are (../files/…) or as the folder shows (content\files\…)
    notice = "---\ntitle: 报名\nattachments:\n  - {title: 表, file: ../files/photo.png}\n"
    notice += "  - {title: 图, file: 'content\\files\\photo.png'}\n---\n见附件。\n"
    (tmp_path / "content/announcements").mkdir(parents=True)
    (tmp_path / "content/announcements/form.md").write_text(notice, encoding="utf-8")
    assert [str(p) for p in check_branch(tmp_path)] == []


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("zh-cn", "zh-CN"),
        ("ZH-TW", "zh-TW"),
        ("EN", "en"),
        # other names of the same languages (the tester's zh-Hant had no suggestion)
        ("zh-Hant", "zh-TW"),
        ("zh_HK", "zh-TW"),
        ("zh-Hans", "zh-CN"),
        ("简体中文", "zh-CN"),
        ("en-US", "en"),
    ],
)
def test_a_language_in_the_wrong_case_suggests_the_same_language(
    tmp_path: Path, written: str, meant: str
) -> None:
    make_branch(
        tmp_path, "zh-CN", Mistake(NEWS, "---\ntitle: 组织生活会\n---\n正文\n", 1, ("",) * 3)
    )
    site = tmp_path / "content/site.yaml"
    site.write_text(site.read_text("utf-8").replace("language: zh-CN", f"language: {written}"))
    problems = [str(p) for p in check_branch(tmp_path)]
    assert len(problems) == 1 and problems[0].startswith("content/site.yaml:"), problems
    assert problems[0].endswith(f"是不是想写 {meant}？"), problems


def test_a_full_width_space_inside_a_value_is_text(tmp_path: Path) -> None:
    """Only where YAML needs a space (or nothing) is a pasted look-alike a mistake: inside a
    title it is the title's own text."""
    fine = Mistake(
        NEWS, "---\ntitle: 社区\u3000敬老活动\ntags: [敬老]\n---\n正\u00a0文\n", 1, ("",) * 3
    )
    make_branch(tmp_path, "zh-CN", fine)
    assert check_branch(tmp_path) == []


@pytest.mark.parametrize(
    "written",
    ["2024年3月5日", "2024 年 3 月 5 日", "2024.03.05", "2024/3/5", "2024年3月5日 14：30"],
)
def test_dates_typed_the_chinese_way_are_dates(tmp_path: Path, written: str) -> None:
    """2024年3月5日 and 2024.03.05 were refused as "not a date" (with no form to write)."""
    from tongxin.build import build_site

    entry = Mistake(NEWS, f"---\ntitle: 敬老活动\ndate: {written}\n---\n正文\n", 1, ("",) * 3)
    make_branch(tmp_path, "zh-CN", entry)
    assert check_branch(tmp_path) == []
    out = build_site(tmp_path, progress=False, warnings_to=None).output
    page = (out / "news" / "meeting" / "index.html").read_text("utf-8")
    assert 'datetime="2024-03-05T' in page and "2024年3月5日" in page

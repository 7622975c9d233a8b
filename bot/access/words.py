"""Short "no" / "no thanks" / "cancel" answers in every language of the service.

Used at the secret-word questions (saving a report for later, choosing a secret word in "my
report"): there, any of these declines, whatever the language of the conversation. None of them
can be a secret word (shorter than the 6 characters a secret word needs, or a plain refusal).
Compared after :func:`bot.commands.normalise` (lower case, punctuation removed).
"""

from __future__ import annotations

import functools

DECLINE_WORDS = frozenset(
    {
        # en
        "no", "nope", "no thanks", "no thank you", "cancel", "not now", "nah", "no need",
        "later", "maybe later", "dont", "don t",
        # zh-Hans / zh-Hant
        "不", "不要", "不用", "不用了", "不了", "取消", "算了", "不需要", "不用谢", "不用謝", "暂时不用",
        "暫時不用", "稍后", "稍後",
        "不用了，谢谢", "不用了，謝謝",
        # vi
        "không", "khong", "không cần", "khong can", "không cảm ơn", "không, cảm ơn", "khong cam on", "thôi",
        "thoi", "hủy", "huy", "để sau", "de sau",
        # ko
        "아니", "아니요", "아니오", "아뇨", "괜찮아요", "됐어요", "취소", "나중에",
        # ja
        "いいえ", "いや", "いいえ、結構です", "結構です", "大丈夫です", "キャンセル", "やめる", "あとで", "後で",
        # th
        "ไม่", "ไม่ค่ะ", "ไม่ครับ", "ไม่เป็นไร", "ไม่ต้อง", "ยกเลิก", "ไว้ทีหลัง", "ไม่เป็นไร ขอบคุณ",
        # tl
        "hindi", "huwag", "wag", "ayoko", "hindi na", "hindi po", "hindi na po, salamat", "kanselahin", "mamaya na",
        # ms / id
        "tidak", "tak", "tak nak", "tidak mahu", "tidak usah", "tak payah", "nggak", "gak",
        "enggak", "tidak perlu", "batal", "batalkan", "nanti saja", "lain kali",
        "tidak, terima kasih",
        # my
        "မဟုတ်ဘူး", "မလိုဘူး", "မလုပ်တော့ဘူး", "ပယ်ဖျက်", "နောက်မှ", "မလိုပါဘူး၊ ကျေးဇူးပဲ",
        # km
        "ទេ", "អត់ទេ", "ទេ អរគុណ", "មិនអីទេ", "បោះបង់", "ពេលក្រោយ",
    }
)


def is_decline(text: str) -> bool:
    """True when a short message only says no / no thanks / cancel (any language)."""
    from bot import commands

    norm = commands.normalise(text)
    return bool(norm) and (norm in _normalised() or norm.replace(" ", "") in _normalised())


@functools.lru_cache(maxsize=1)
def _normalised() -> frozenset[str]:
    from bot import commands

    forms = {commands.normalise(word) for word in DECLINE_WORDS}
    return frozenset(forms | {form.replace(" ", "") for form in forms if not form.isascii()})

// The copy buttons of code cells in Korean: sphinx-copybutton 0.5.2 has no Korean. Its messages, the
// page's locale and its icons (with their titles) are globals of copybutton.js, loaded just before this
// file and read only when the buttons are made, after the page has loaded (book/_ext/course_i18n.py).
if (typeof messages !== "undefined" && document.documentElement.lang === "ko") {
  messages.ko = {copy: "복사", copy_to_clipboard: "클립보드에 복사", copy_success: "복사했습니다!",
                 copy_failure: "복사하지 못했습니다"};
  locale = "ko";
  iconCheck = iconCheck.replace(/<title>[^<]*<\/title>/, `<title>${messages.ko.copy_success}</title>`);
  iconCopy = iconCopy.replace(/<title>[^<]*<\/title>/, `<title>${messages.ko.copy_to_clipboard}</title>`);
}

"use client";
/**
 * Following a jump-target link to a collapsed chain should show its rules: open the <details> the URL's fragment
 * names, on load and on every fragment change, and move focus to its summary so the keyboard continues from there.
 */
import { useEffect } from "react";

export function OpenOnHash() {
  useEffect(() => {
    const open = () => {
      const id = decodeURIComponent(window.location.hash.slice(1));
      const target = id ? document.getElementById(id) : null;
      if (target instanceof HTMLDetailsElement) {
        target.open = true;
        target.querySelector("summary")?.focus({ preventScroll: true });
        target.scrollIntoView({ block: "start" });
      }
    };
    open();
    window.addEventListener("hashchange", open);
    return () => window.removeEventListener("hashchange", open);
  }, []);
  return null;
}

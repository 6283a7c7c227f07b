// Minimal, signature-only stand-in for the NUnit and Unity Test Framework API that the
// package's Tests/Editor and Tests/Runtime use, so mcs can type-check them. Nothing runs.
using System;
using System.Collections;

namespace NUnit.Framework
{
    [AttributeUsage(AttributeTargets.Class)]
    public sealed class TestFixtureAttribute : Attribute { }

    [AttributeUsage(AttributeTargets.Method)]
    public sealed class TestAttribute : Attribute { }

    [AttributeUsage(AttributeTargets.Method)]
    public sealed class SetUpAttribute : Attribute { }

    [AttributeUsage(AttributeTargets.Method)]
    public sealed class TearDownAttribute : Attribute { }

    [AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
    public sealed class TimeoutAttribute : Attribute
    {
        public TimeoutAttribute(int timeout) { }
    }

    public delegate void TestDelegate();

    public interface IResolveConstraint { }

    public class Constraint : IResolveConstraint { }

    public class ConstraintExpression
    {
        public Constraint EqualTo(object expected) { return null; }
        public Constraint Null { get { return null; } }
    }

    public class Is
    {
        public static ConstraintExpression Not { get { return null; } }
        public static Constraint EqualTo(object expected) { return null; }
        public static Constraint LessThan(object expected) { return null; }
        public static Constraint True { get { return null; } }
        public static Constraint False { get { return null; } }
        public static Constraint Null { get { return null; } }
    }

    public static class Assert
    {
        public static void That(object actual, IResolveConstraint expression) { }
        public static void That(object actual, IResolveConstraint expression, string message) { }
        public static void That(TestDelegate code, IResolveConstraint constraint) { }
        public static void IsTrue(bool condition, string message) { }
        public static void IsFalse(bool condition, string message) { }
        public static void AreEqual(object expected, object actual, string message) { }
        public static void Less(long arg1, long arg2, string message) { }
        public static void Fail(string message) { }
    }
}

namespace UnityEngine.TestTools
{
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class UnityTestAttribute : Attribute { }

    public interface IEditModeTestYieldInstruction
    {
        bool ExpectDomainReload { get; }
        bool ExpectedPlaymodeState { get; }
        IEnumerator Perform();
    }

    public class EnterPlayMode : IEditModeTestYieldInstruction
    {
        public EnterPlayMode() { }
        public EnterPlayMode(bool expectDomainReload) { }
        public bool ExpectDomainReload { get { return false; } }
        public bool ExpectedPlaymodeState { get { return true; } }
        public IEnumerator Perform() { return null; }
    }

    public class ExitPlayMode : IEditModeTestYieldInstruction
    {
        public bool ExpectDomainReload { get { return false; } }
        public bool ExpectedPlaymodeState { get { return false; } }
        public IEnumerator Perform() { return null; }
    }

    public static class LogAssert
    {
        public static bool ignoreFailingMessages { get; set; }
    }
}

namespace UnityEngine.TestTools.Constraints
{
    public class AllocatingGCMemoryConstraint : NUnit.Framework.Constraint { }

    public class Is : NUnit.Framework.Is
    {
        public static AllocatingGCMemoryConstraint AllocatingGCMemory() { return null; }
    }

    public static class ConstraintExtensions
    {
        public static AllocatingGCMemoryConstraint AllocatingGCMemory(this NUnit.Framework.ConstraintExpression chain) { return null; }
    }
}
